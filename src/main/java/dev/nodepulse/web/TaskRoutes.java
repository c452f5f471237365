package dev.nodepulse.web;

import dev.nodepulse.config.Config;
import dev.nodepulse.scheduler.SchedulerVerticle;
import dev.nodepulse.tasks.source.RestSource;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.function.BiConsumer;

/**
 * /api/v1/tasks: forwards to the task concern over the event bus (list and get to the scheduler, post and
 * delete to the REST source). Bodies are read (and limited) by WebVerticle's /api/* body handler; bus
 * failures become that HTTP status with the error JSON ({@link Errors#fromBus}).
 */
final class TaskRoutes {
  private static final DeliveryOptions BUS = new DeliveryOptions().setSendTimeout(10_000);

  private TaskRoutes() {}

  static void mount(Vertx vertx, Router router, Config config) {
    router.get("/api/v1/tasks").handler(ctx ->
        ask(vertx, ctx, SchedulerVerticle.LIST, new JsonObject(), (c, reply) -> json(c, 200, reply.body())));
    router.get("/api/v1/tasks/:namespace/:name").handler(ctx ->
        ask(vertx, ctx, SchedulerVerticle.GET, key(ctx), (c, reply) -> json(c, 200, reply.body())));
    router.post("/api/v1/tasks").handler(ctx -> {
      String body = ctx.body().asString("UTF-8");
      JsonObject req = new JsonObject().put("contentType", ctx.request().getHeader("Content-Type"))
          .put("body", body == null ? "" : body);
      ask(vertx, ctx, RestSource.PUT, req, (c, reply) ->
          json(c, reply.body().getBoolean("created", false) ? 201 : 200, reply.body().getJsonObject("task")));
    });
    router.delete("/api/v1/tasks/:namespace/:name").handler(ctx ->
        ask(vertx, ctx, RestSource.DELETE, key(ctx), (c, reply) -> c.response().setStatusCode(204).end()));
  }

  private static void ask(Vertx vertx, RoutingContext ctx, String address, JsonObject req,
      BiConsumer<RoutingContext, Message<JsonObject>> onReply) {
    vertx.eventBus().<JsonObject>request(address, req, BUS).onComplete(ar -> {
      if (ar.succeeded()) {
        onReply.accept(ctx, ar.result());
      } else {
        Errors.fromBus(ctx, address, ar.cause());
      }
    });
  }

  private static JsonObject key(RoutingContext ctx) {
    return new JsonObject().put("namespace", ctx.pathParam("namespace")).put("name", ctx.pathParam("name"));
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }
}
