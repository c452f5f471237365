package dev.nodepulse.web;

import dev.nodepulse.config.Config;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.util.List;

/** The HTTP front: REST, page, SockJS bridge, docs, probes. Placeholder: probes only. */
public final class WebVerticle extends VerticleBase {
  private final Config config;
  private final List<String> components;
  private HttpServer server;

  public WebVerticle(Config config, List<String> components) {
    this.config = config;
    this.components = components;
  }

  @Override
  public Future<?> start() {
    Router router = Router.router(vertx);
    router.get("/healthz").handler(ctx -> ctx.json(new JsonObject().put("status", "up").put("components", components)));
    LiveRoutes.mount(vertx, router, config);
    TaskRoutes.mount(vertx, router, config);
    return vertx.createHttpServer().requestHandler(router).listen(config.httpPort(), config.httpHost())
        .onSuccess(s -> server = s);
  }

  public int httpPort() {
    return server == null ? -1 : server.actualPort();
  }

  public int metricsPort() {
    return -1;
  }
}
