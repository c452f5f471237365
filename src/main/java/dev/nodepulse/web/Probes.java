package dev.nodepulse.web;

import dev.nodepulse.config.Config;
import dev.nodepulse.config.Flags;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * /healthz and /readyz: the agent's own status page. Each asks every component on
 * {@code nodepulse.health.<component>} (1 s, else {@code "state": "unresponsive"}).
 * Liveness answers 200 as long as the event loop does; readiness 200 only when every component answers in time
 * and says {@code "ready": true}. A component that cannot serve says {@code "ready": false} (with its reason in its
 * own fields, shown as it gave them); unless its state is {@code starting}, the agent is then {@code degraded}.
 */
final class Probes {
  static final String HEALTH_PREFIX = "nodepulse.health.";
  private static final DeliveryOptions ASK = new DeliveryOptions().setSendTimeout(1000);

  private final Vertx vertx;
  private final Config config;
  private final List<String> components;
  private final Instant startedAt = Instant.now();

  Probes(Vertx vertx, Config config, List<String> components) {
    this.vertx = vertx;
    this.config = config;
    this.components = List.copyOf(components);
  }

  void healthz(RoutingContext ctx) {
    status().onSuccess(s -> ctx.response().setStatusCode(200).putHeader("content-type", "application/json").end(s.encode()));
  }

  void readyz(RoutingContext ctx) {
    status().onSuccess(s -> ctx.response().setStatusCode(s.getBoolean("ready") ? 200 : 503)
        .putHeader("content-type", "application/json").end(s.encode()));
  }

  /** Asks every component and sums up: up (all ready), starting, or degraded (one down, failing or unresponsive). */
  Future<JsonObject> status() {
    List<Future<JsonObject>> asks = new ArrayList<>();
    for (String c : components) {
      asks.add(vertx.eventBus().<JsonObject>request(HEALTH_PREFIX + c, new JsonObject(), ASK)
          .map(m -> m.body() == null ? new JsonObject().put("state", "down").put("ready", false) : m.body())
          .otherwise(err -> new JsonObject().put("state", "unresponsive").put("ready", false)
              .put("lastError", String.valueOf(err.getMessage()))));
    }
    return Future.join(asks).transform(ignored -> {
      JsonObject byName = new JsonObject();
      boolean ready = true;
      boolean degraded = false;
      for (int i = 0; i < components.size(); i++) {
        JsonObject answer = asks.get(i).result();
        byName.put(components.get(i), answer);
        boolean componentReady = Boolean.TRUE.equals(answer.getValue("ready"));
        ready &= componentReady;
        String state = String.valueOf(answer.getValue("state"));
        // a component that cannot serve (not ready, and not because it is starting) degrades the agent, whatever
        // state it names
        degraded |= !state.equals("up") && !state.equals("starting") || !componentReady && !state.equals("starting");
      }
      String status = degraded ? "degraded" : ready ? "up" : "starting";
      return Future.succeededFuture(new JsonObject()
          .put("status", status)
          .put("ready", ready)
          .put("version", Flags.version())
          .put("mode", config.mode().name().toLowerCase(Locale.ROOT))
          .put("nodeName", config.nodeName())
          .put("startedAt", startedAt.toString())
          .put("uptimeSeconds", Duration.between(startedAt, Instant.now()).toSeconds())
          .put("components", byName));
    });
  }
}
