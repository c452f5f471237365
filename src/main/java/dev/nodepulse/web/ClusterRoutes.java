package dev.nodepulse.web;

import dev.nodepulse.bus.ClusterView;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

/**
 * /api/v1/cluster (Kubernetes mode): the cluster view's nodes and a node's own REST through this agent, asked of the
 * cluster concern over the event bus, which checks the node and the path. Standalone there is no cluster: 404.
 */
final class ClusterRoutes {
  static final String NODES = "/api/v1/cluster/nodes";
  /** Longer than the cluster concern waits for a node (8 s), so its own 504 is what the client gets. */
  private static final DeliveryOptions PROXY = new DeliveryOptions().setSendTimeout(12_000);

  private ClusterRoutes() {}

  static void mount(Vertx vertx, Router router, boolean kubernetes) {
    if (!kubernetes) {
      router.get("/api/v1/cluster*").handler(ctx -> Errors.send(ctx, 404, "no cluster view in standalone mode",
          new JsonObject().put("mode", "standalone")));
      return;
    }
    router.get(NODES).handler(ctx -> Api.ask(vertx, ctx, ClusterView.NODES, new JsonObject()).onSuccess(ctx::json));
    router.get(NODES + "/:node/*").handler(ctx -> proxy(vertx, ctx));
  }

  /** {@code /api/v1/cluster/nodes/<node>/<path>}: the node's answer to {@code GET /api/v1/<path>}, as it gave it. */
  private static void proxy(Vertx vertx, RoutingContext ctx) {
    String rest = ctx.normalizedPath().substring(NODES.length() + 1);
    int slash = rest.indexOf('/');
    JsonObject ask = new JsonObject().put("node", rest.substring(0, slash)).put("path", rest.substring(slash + 1))
        .put("query", ctx.request().query());
    vertx.eventBus().<JsonObject>request(ClusterView.PROXY, ask, PROXY).onSuccess(m -> {
      JsonObject a = m.body();
      ctx.response().setStatusCode(a.getInteger("status"));
      if (a.getString("contentType") != null) {
        ctx.response().putHeader("content-type", a.getString("contentType"));
      }
      ctx.response().end(a.getBuffer("body"));
    }).onFailure(err -> Errors.fromBus(ctx, ClusterView.PROXY, err));
  }
}
