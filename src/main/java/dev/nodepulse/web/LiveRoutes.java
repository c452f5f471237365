package dev.nodepulse.web;

import dev.nodepulse.bus.ClusterView;
import dev.nodepulse.bus.LiveClients;
import dev.nodepulse.bus.Sample;
import dev.nodepulse.sampler.SamplerVerticle;
import dev.nodepulse.tasks.TasksVerticle;
import io.vertx.core.Vertx;
import io.vertx.ext.bridge.PermittedOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import io.vertx.ext.web.handler.sockjs.SockJSBridgeOptions;
import io.vertx.ext.web.handler.sockjs.SockJSHandler;
import io.vertx.ext.web.handler.sockjs.SockJSHandlerOptions;
import io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl;
import java.util.List;

/**
 * The live page: the static page under {@code /} and {@code /app/*}, the WebJars it uses under
 * {@code /webjars/*}, and the SockJS event-bus bridge under {@code /live/*}.
 *
 * <p>The bridge is outbound only: the page may register for the addresses in {@link #OUTBOUND} and
 * nothing else; no address is permitted inbound. Each client's frames pass through {@link LiveBridge},
 * which bounds what is queued for it and counts the clients.
 */
final class LiveRoutes {
  /** The addresses the page listens to (owned by the sampler, the scheduler, usage and the cluster view). */
  static final List<String> OUTBOUND = List.of(
      Sample.ADDRESS, TasksVerticle.CHANGED, TasksVerticle.RUN, dev.nodepulse.usage.UsageVerticle.SAMPLE,
      ClusterView.SUMMARY);

  /** The WebJars the page loads, served from the jar; nothing comes from outside the agent. */
  static final String SOCKJS_CLIENT = "/webjars/sockjs-client/1.6.1/dist/sockjs.min.js";

  /** A client that has not pinged for this long is closed (the page pings every 5 s). */
  static final long PING_TIMEOUT_MS = 15_000;

  private LiveRoutes() {}

  /** Mounts the routes with a per-client bound on frames in flight and a ping timeout; returns the bridge. */
  static LiveBridge mount(Vertx vertx, Router router, int maxInFlight, long pingTimeoutMs) {
    LiveBridge bridge = new LiveBridge(vertx, LiveClients.ADDRESS);
    SockJSHandlerOptions sockJs = new SockJSHandlerOptions()
        .setHeartbeatInterval(10_000)
        .setSessionTimeout(10_000)
        .setLibraryURL(SOCKJS_CLIENT)
        .setInsertJSESSIONID(false)
        .setRegisterWriteHandler(false);
    SockJSBridgeOptions options = new SockJSBridgeOptions()
        .setPingTimeout(pingTimeoutMs)
        .setMaxHandlersPerSocket(OUTBOUND.size());
    OUTBOUND.forEach(address -> options.addOutboundPermitted(new PermittedOptions().setAddress(address)));
    // the XHR transports (a browser whose WebSocket fails falls back to them) post their frames: Vert.x 5's
    // SockJS handler reads those bodies only through a BodyHandler; inbound frames are small (pings, register)
    router.post("/live/*").handler(BodyHandler.create(false).setBodyLimit(64 * 1024));
    // the bridge as SockJSHandler.bridge makes it, but handed each client's socket counted (CountedSocket), so that
    // its own answers to what a client sends count towards the client's bound as its deliveries do
    EventBusBridgeImpl eventBusBridge = new EventBusBridgeImpl(vertx, null, options, bridge);
    router.route("/live/*").subRouter(SockJSHandler.create(vertx, sockJs)
        .socketHandler(socket -> eventBusBridge.handle(new CountedSocket(vertx, socket, maxInFlight))));

    router.get("/").handler(StaticHandler.create("webroot").setCachingEnabled(false));
    router.get("/app/*").handler(StaticHandler.create("webroot/app").setCachingEnabled(false));
    router.get("/webjars/*").handler(StaticHandler.create("META-INF/resources/webjars").setMaxAgeSeconds(86_400));
    return bridge;
  }
}
