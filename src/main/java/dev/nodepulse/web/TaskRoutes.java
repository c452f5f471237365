package dev.nodepulse.web;

import dev.nodepulse.tasks.TasksVerticle;
import dev.nodepulse.tasks.source.RestSource;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import dev.nodepulse.tasks.model.RunRequest;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.nio.charset.StandardCharsets;

/**
 * /api/v1/tasks: forwards to the task concern over the event bus (list, get, runs and output to the task
 * pipeline, post and delete to the REST source) with {@link Api#ask}. The list is paged ({@link Paging}). Bodies are read (and limited) by
 * WebVerticle's /api/* body handler and handed over as bytes (the REST source checks they are UTF-8).
 */
final class TaskRoutes {
  private static final DeliveryOptions ASK = new DeliveryOptions().setSendTimeout(10_000);

  private TaskRoutes() {}

  static void mount(Vertx vertx, Router router) {
    router.get("/api/v1/tasks").handler(ctx -> {
      Paging p = Paging.of(ctx, TasksVerticle.DEFAULT_PAGE, TasksVerticle.MAX_PAGE);
      if (p != null) {
        Api.ask(vertx, ctx, TasksVerticle.LIST, new JsonObject().put("limit", p.limit()).put("after", p.after()))
            .onSuccess(page -> json(ctx, 200, new JsonObject()
                .put("metadata", Paging.metadata(page.getString("last"), page.getInteger("remaining", 0)))
                .put("items", page.getJsonArray("items"))));
      }
    });
    router.get("/api/v1/tasks/:namespace/:name").handler(ctx ->
        Api.ask(vertx, ctx, TasksVerticle.GET, key(ctx)).onSuccess(body -> json(ctx, 200, body)));
    router.get("/api/v1/tasks/:namespace/:name/runs").handler(ctx ->
        Api.ask(vertx, ctx, TasksVerticle.RUNS, key(ctx)).onSuccess(body -> json(ctx, 200, body)));
    router.get("/api/v1/tasks/:namespace/:name/runs/latest/output").handler(ctx ->
        vertx.eventBus().<String>request(TasksVerticle.OUTPUT, key(ctx), ASK)
            .onSuccess(m -> ctx.response().setStatusCode(200).putHeader("Content-Type", "text/plain; charset=utf-8")
                .end(m.body()))
            .onFailure(err -> Errors.fromBus(ctx, TasksVerticle.OUTPUT, err)));
    router.post("/api/v1/tasks").handler(ctx -> {
      Boolean dryRun = dryRun(ctx);
      if (dryRun == null) {
        return;
      }
      Buffer body = ctx.body().buffer();
      JsonObject req = new JsonObject().put("contentType", ctx.request().getHeader("Content-Type"))
          .put("body", body == null ? Buffer.buffer() : body).put("dryRun", dryRun);
      Api.ask(vertx, ctx, RestSource.PUT, req).onSuccess(reply ->
          json(ctx, !dryRun && reply.getBoolean("created", false) ? 201 : 200, reply.getJsonObject("task")));
    });
    router.post("/api/v1/tasks/:namespace/:name/runs").handler(ctx -> {
      String id = requestId(ctx);
      if (id != null) {
        Api.ask(vertx, ctx, TasksVerticle.RUN_NOW, key(ctx).put("requestId", id)).onSuccess(reply -> {
          boolean accepted = (Boolean) reply.remove("accepted"); // 200: this id was handled before, nothing new runs
          json(ctx, accepted ? 202 : 200, reply.put("duplicate", !accepted));
        });
      }
    });
    router.delete("/api/v1/tasks/:namespace/:name").handler(ctx ->
        Api.ask(vertx, ctx, RestSource.DELETE, key(ctx)).onSuccess(ignored -> ctx.response().setStatusCode(204).end()));
  }

  /**
   * {@code dryRun} as the Kubernetes API spells it: absent (false) or {@code All} (true: validate and preview, store
   * nothing); anything else is answered 400 naming it and its value (null).
   */
  private static Boolean dryRun(RoutingContext ctx) {
    List<String> values = ctx.queryParam("dryRun");
    for (String v : values) {
      if (!"All".equals(v)) {
        Errors.send(ctx, 400, "dryRun must be All (validate and preview without storing), not '"
            + (v.length() > 80 ? v.substring(0, 77) + "..." : v) + "'", new JsonObject().put("field", "dryRun")
            .put("value", v.length() > 200 ? v.substring(0, 200) + "…" : v));
        return null;
      }
    }
    return !values.isEmpty();
  }

  /**
   * The request id of a run-now request: from the optional JSON body {@code {"requestId": "..."}} (checked by
   * {@link RunRequest#problem}), a new one when there is none; null after answering 400.
   */
  private static String requestId(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.toString(StandardCharsets.UTF_8).isBlank()) {
      return RunRequest.newId();
    }
    Object parsed;
    try {
      parsed = Json.decodeValue(body);
    } catch (DecodeException e) {
      parsed = null;
    }
    if (!(parsed instanceof JsonObject o)) {
      Errors.send(ctx, 400, "the body is not a JSON object such as {\"requestId\": \"1733337600\"}", null);
      return null;
    }
    for (String f : o.fieldNames()) {
      if (!f.equals("requestId")) {
        Errors.send(ctx, 400, "unknown field '" + (f.length() > 64 ? f.substring(0, 64) + "..." : f)
            + "'; known: requestId", new JsonObject().put("field", "requestId"));
        return null;
      }
    }
    Object id = o.getValue("requestId");
    String problem = id == null ? null : RunRequest.problem("requestId", id instanceof String str ? str : null);
    if (problem != null) {
      Errors.send(ctx, 400, id instanceof String ? problem : "requestId must be a string", new JsonObject()
          .put("field", "requestId"));
      return null;
    }
    return id == null ? RunRequest.newId() : (String) id;
  }

  private static JsonObject key(RoutingContext ctx) {
    return new JsonObject().put("namespace", ctx.pathParam("namespace")).put("name", ctx.pathParam("name"));
  }

  private static void json(RoutingContext ctx, int status, JsonObject body) {
    ctx.response().setStatusCode(status).putHeader("Content-Type", "application/json").end(body.encode());
  }
}
