package dev.nodepulse.cluster;

import dev.nodepulse.sampler.SamplerVerticle;
import dev.nodepulse.web.Errors;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * What an agent serves its peers on the metrics listener (Kubernetes mode): {@code GET /peer/v1/summary}, this
 * node's latest figures. Read-only; every route behind {@code auth}, a bearer token the API server accepts whose
 * user may {@code get} the non-resource URL {@link #PEER_URL} (the chart grants it to the agents' ServiceAccount).
 */
public final class PeerRoutes {
  public static final String PEER_URL = "/nodepulse/peer";
  static final String SUMMARY = "/peer/v1/summary";

  private PeerRoutes() {}

  public static void mount(Router router, Handler<RoutingContext> auth) {
    router.get(SUMMARY).handler(auth).handler(PeerRoutes::summary);
  }

  private static void summary(RoutingContext ctx) {
    ctx.vertx().eventBus().<JsonObject>request(SamplerVerticle.LATEST, new JsonObject(),
            new DeliveryOptions().setSendTimeout(5_000))
        .onSuccess(m -> ctx.response().putHeader("content-type", "application/json").end(summary(m.body()).encode()))
        .onFailure(err -> Errors.fromBus(ctx, SamplerVerticle.LATEST, err));
  }

  /** A sample's figures for the cluster view: {percent, avg1m, load (1 min), memory {totalBytes, usedBytes}, sampledAt}. */
  static JsonObject summary(JsonObject sample) {
    JsonObject cpu = sample.getJsonObject("cpu", new JsonObject());
    JsonObject load = cpu.getJsonObject("load");
    JsonObject memory = sample.getJsonObject("memory", new JsonObject());
    return new JsonObject()
        .put("percent", cpu.getValue("percent"))
        .put("avg1m", cpu.getValue("avg1m"))
        .put("load", load == null ? null : load.getValue("1m"))
        .put("memory", new JsonObject().put("totalBytes", memory.getValue("totalBytes"))
            .put("usedBytes", memory.getValue("usedBytes")))
        .put("sampledAt", sample.getValue("sampledAt"));
  }
}
