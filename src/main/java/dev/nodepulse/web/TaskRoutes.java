package dev.nodepulse.web;

import dev.nodepulse.config.Config;
import dev.nodepulse.scheduler.SchedulerVerticle;
import dev.nodepulse.tasks.source.RestSource;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;

/**
 * /api/v1/tasks: forwards to the task concern over the event bus (list and get to the scheduler, post and
 * delete to the REST source) and turns bus failures into that HTTP status with the error JSON.
 */
final class TaskRoutes {
  /** Largest accepted POST body; larger gets 413. */
  static final long MAX_BODY = 256 * 1024;
  private static final DeliveryOptions BUS = new DeliveryOptions().setSendTimeout(10_000);

  private TaskRoutes() {}

  static void mount(Vertx vertx, Router router, Config config) {
    var bus = vertx.eventBus();
    router.get("/api/v1/tasks").handler(ctx -> answer(ctx, 200,
        bus.<JsonObject>request(SchedulerVerticle.LIST, new JsonObject(), BUS).map(m -> m.body())));
    router.get("/api/v1/tasks/:namespace/:name").handler(ctx -> answer(ctx, 200,
        bus.<JsonObject>request(SchedulerVerticle.GET, key(ctx), BUS).map(m -> m.body())));
    router.post("/api/v1/tasks")
        .handler(BodyHandler.create(false).setBodyLimit(MAX_BODY))
        .handler(ctx -> {
          JsonObject req = new JsonObject().put("contentType", ctx.request().getHeader("Content-Type"))
              .put("body", ctx.body().asString("UTF-8") == null ? "" : ctx.body().asString("UTF-8"));
          bus.<JsonObject>request(RestSource.PUT, req, BUS).onComplete(ar -> {
            if (ar.succeeded()) {
              JsonObject reply = ar.result().body();
              json(ctx, reply.getBoolean("created", false) ? 201 : 200, reply.getJsonObject("task"));
            } else {
              failure(ctx, ar.cause());
            }
          });
        })
        .failureHandler(ctx -> {
          int status = ctx.statusCode() == 413 ? 413 : (ctx.statusCode() > 0 ? ctx.statusCode() : 500);
          json(ctx, status, new JsonObject().put("error", status == 413
              ? "request body too large: at most " + MAX_BODY + " bytes (256 KiB)"
              : "cannot read the request: " + (ctx.failure() == null ? status : ctx.failure().getMessage())));
        });
    router.delete("/api/v1/tasks/:namespace/:name").handler(ctx ->
        bus.request(RestSource.DELETE, key(ctx), BUS).onComplete(ar -> {
          if (ar.succeeded()) {
            ctx.response().setStatusCode(204).end();
          } else {
            failure(ctx, ar.cause());
          }
        }));
  }

  private static JsonObject key(RoutingContext ctx) {
    return new JsonObject().put("namespace", ctx.pathParam("namespace")).put("name", ctx.pathParam("name"));
  }

  private static void answer(RoutingContext ctx, int status, Future<JsonObject> f) {
    f.onComplete(ar -> {
      if (ar.succeeded()) {
        json(ctx, status, ar.result());
      } else {
        failure(ctx, ar.cause());
      }
    });
  }

  private static void failure(RoutingContext ctx, Throwable err) {
    if (err instanceof ReplyException r && r.failureCode() >= 400 && r.failureCode() < 600) {
      JsonObject body;
      try {
        body = new JsonObject(r.getMessage());
      } catch (DecodeException | NullPointerException e) {
        body = new JsonObject().put("error", String.valueOf(r.getMessage()));
      }
      json(ctx, r.failureCode(), body);
    } else {
      json(ctx, 503, new JsonObject().put("error", "tasks unavailable: " + err.getMessage()));
    }
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().ended()) {
      return;
    }
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }
}
