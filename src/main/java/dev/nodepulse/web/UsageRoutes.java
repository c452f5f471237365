package dev.nodepulse.web;

import dev.nodepulse.usage.UsageVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/** /api/v1/pressure and /api/v1/pods: asked of the usage concern over the event bus with {@link Api#ask}. */
final class UsageRoutes {
  private static final DeliveryOptions ASK = new DeliveryOptions().setSendTimeout(10_000);

  private UsageRoutes() {}

  /**
   * The processes' answer with each process's {@code cgroup} and, inside a pod, {@code podUid}, {@code pod}
   * ("namespace/name", null until named) and {@code container}; the answer unchanged when the usage concern cannot say.
   */
  static Future<JsonObject> withOwners(Vertx vertx, JsonObject processes) {
    JsonArray list = processes.getJsonArray("processes", new JsonArray());
    JsonArray pids = new JsonArray(list.stream().map(p -> ((JsonObject) p).getValue("pid")).toList());
    return vertx.eventBus().<JsonObject>request(UsageVerticle.OWNERS, new JsonObject().put("pids", pids), ASK)
        .map(m -> {
          JsonObject owners = m.body().getJsonObject("owners", new JsonObject());
          for (Object o : list) {
            JsonObject p = (JsonObject) o;
            JsonObject owner = owners.getJsonObject(String.valueOf(p.getValue("pid")));
            if (owner != null) {
              p.put("cgroup", owner.getString("cgroup"));
              if (owner.containsKey("podUid")) {
                p.put("podUid", owner.getString("podUid")).put("pod", owner.getString("pod") == null ? null : owner.getString("namespace") + "/" + owner.getString("pod"))
                    .put("container", owner.getString("container"));
              }
            }
          }
          return processes;
        })
        .otherwise(processes);
  }

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
