package dev.nodepulse.cluster;

import dev.nodepulse.sampler.SamplerVerticle;
import dev.nodepulse.web.Errors;
import io.vertx.core.Handler;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * What an agent serves its peers on the metrics listener (Kubernetes mode): {@code GET /peer/v1/summary}, this
 * node's latest figures, and {@code GET /peer/v1/node/api/v1/<path>}, this node's own REST answer for the paths
 * {@link PeerPaths} allows (the cluster view's node page). Read-only: GET only, an allow-list of paths; every route
 * behind {@code auth}, a bearer token the API server accepts whose user may {@code get} the non-resource URL
 * {@link #PEER_URL} (the chart grants it to the agents' ServiceAccount).
 */
public final class PeerRoutes {
  public static final String PEER_URL = "/nodepulse/peer";
  static final String SUMMARY = "/peer/v1/summary";
  /** Where this node's own REST is reached by peers: {@code NODE + "/api/v1/cpu"}. */
  static final String NODE = "/peer/v1/node";

  private PeerRoutes() {}

  /**
   * Mounts the peer routes on {@code router}; {@code nodeApi} answers this node's own REST paths (those of the main
   * listener; only the GETs that {@link PeerPaths} allows reach it).
   */
  public static void mount(Router router, Handler<RoutingContext> auth, Router nodeApi) {
    router.get(SUMMARY).handler(auth).handler(PeerRoutes::summary);
    router.route(NODE + "/*").handler(auth).handler(PeerRoutes::readOnly);
    router.route(NODE + "/*").subRouter(nodeApi);
  }

  /** GET of an allowed path passes on to the node's own REST; anything else is refused here. */
  private static void readOnly(RoutingContext ctx) {
    if (ctx.request().method() != HttpMethod.GET) {
      ctx.response().putHeader("allow", "GET");
      Errors.send(ctx, 405, "method not allowed", "peers may only GET " + NODE + "/api/v1/...");
      return;
    }
    String prefix = NODE + "/api/v1/";
    String path = ctx.normalizedPath();
    if (!path.startsWith(prefix) || !PeerPaths.allowed(path.substring(prefix.length()))) {
      Errors.send(ctx, 404, "not a path peers may read", path.length() > 200 ? path.substring(0, 200) + "..." : path);
      return;
    }
    ctx.next();
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
