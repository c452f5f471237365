package dev.nodepulse.web;

import dev.nodepulse.config.Config;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;

/** The live page: static files, WebJars and the SockJS bridge under /live. Placeholder. */
final class LiveRoutes {
  private LiveRoutes() {}

  static void mount(Vertx vertx, Router router, Config config) {}
}
