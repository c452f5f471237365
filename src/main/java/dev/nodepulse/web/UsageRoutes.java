package dev.nodepulse.web;

import dev.nodepulse.usage.UsageVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/** /api/v1/pressure and /api/v1/pods: asked of the usage concern over the event bus with {@link Api#ask}. */
final class UsageRoutes {
  private UsageRoutes() {}

  static void mount(Vertx vertx, Router router) {
    router.get("/api/v1/pressure").handler(ctx ->
        Api.ask(vertx, ctx, UsageVerticle.PRESSURE, new JsonObject()).onSuccess(ctx::json));
    router.get("/api/v1/pods").handler(ctx ->
        Api.ask(vertx, ctx, UsageVerticle.PODS, new JsonObject()).onSuccess(ctx::json));
    router.get("/api/v1/pods/:namespace/:name").handler(ctx -> Api.ask(vertx, ctx, UsageVerticle.POD,
            new JsonObject().put("namespace", ctx.pathParam("namespace")).put("name", ctx.pathParam("name")))
        .onSuccess(ctx::json));
  }
}
