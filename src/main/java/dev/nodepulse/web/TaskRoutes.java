package dev.nodepulse.web;

import dev.nodepulse.scheduler.SchedulerVerticle;
import dev.nodepulse.tasks.source.RestSource;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * /api/v1/tasks: forwards to the task concern over the event bus (list and get to the scheduler, post and
 * delete to the REST source) with {@link Api#ask}. Bodies are read (and limited) by WebVerticle's /api/*
 * body handler.
 */
final class TaskRoutes {
  private TaskRoutes() {}

  static void mount(Vertx vertx, Router router) {
    router.get("/api/v1/tasks").handler(ctx ->
        Api.ask(vertx, ctx, SchedulerVerticle.LIST, new JsonObject()).onSuccess(body -> json(ctx, 200, body)));
    router.get("/api/v1/tasks/:namespace/:name").handler(ctx ->
        Api.ask(vertx, ctx, SchedulerVerticle.GET, key(ctx)).onSuccess(body -> json(ctx, 200, body)));
    router.post("/api/v1/tasks").handler(ctx -> {
      String body = ctx.body().asString("UTF-8");
      JsonObject req = new JsonObject().put("contentType", ctx.request().getHeader("Content-Type"))
          .put("body", body == null ? "" : body);
      Api.ask(vertx, ctx, RestSource.PUT, req).onSuccess(reply ->
          json(ctx, reply.getBoolean("created", false) ? 201 : 200, reply.getJsonObject("task")));
    });
    router.delete("/api/v1/tasks/:namespace/:name").handler(ctx ->
        Api.ask(vertx, ctx, RestSource.DELETE, key(ctx)).onSuccess(ignored -> ctx.response().setStatusCode(204).end()));
  }

  private static JsonObject key(RoutingContext ctx) {
    return new JsonObject().put("namespace", ctx.pathParam("namespace")).put("name", ctx.pathParam("name"));
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }
}
