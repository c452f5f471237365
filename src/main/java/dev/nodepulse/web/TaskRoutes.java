package dev.nodepulse.web;

import dev.nodepulse.config.Config;
import io.vertx.core.Vertx;
import io.vertx.ext.web.Router;

/** /api/v1/tasks: forwards to the task concern over the event bus. Placeholder. */
final class TaskRoutes {
  private TaskRoutes() {}

  static void mount(Vertx vertx, Router router, Config config) {}
}
