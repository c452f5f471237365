package dev.nodepulse.web;

import dev.nodepulse.bus.Listening;
import dev.nodepulse.bus.WebRequest;
import dev.nodepulse.config.Config;
import dev.nodepulse.metrics.MetricsVerticle;
import dev.nodepulse.util.MediaType;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.http.HttpClosedException;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import com.sun.management.UnixOperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP front: REST under /api/v1, /metrics, the probes, /openapi.yaml and /docs on
 * {@code --http-host:--http-port}; the page and /live come from {@link LiveRoutes}, the task API
 * from {@link TaskRoutes}. With {@code --metrics-port} a second listener serves only /metrics and
 * the probes. Every request is counted on {@link WebRequest#ADDRESS} by its route template.
 */
public final class WebVerticle extends VerticleBase {
  public static final String HEALTH = "nodepulse.health.web";
  /** Largest request body accepted (413 beyond). */
  static final long BODY_LIMIT = 256 * 1024;
  /** Longest request line (method, path and query) accepted (414 beyond). */
  static final int MAX_REQUEST_LINE = 4096;
  /** Most bytes of request headers accepted (431 beyond). */
  static final int MAX_HEADERS = 8192;
  /** Largest WebSocket frame and message a client may send (the connection is closed beyond). */
  static final int MAX_WEBSOCKET_MESSAGE = 16 * 1024;
  /** The route label of a request that matched no route: bounded, whatever the path. */
  static final String UNMATCHED = "other";
  /** The method label of a request with a method outside HTTP's standard ones: bounded, whatever clients send. */
  static final String OTHER_METHOD = "OTHER";
  private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT");
  private static final Logger LOG = LoggerFactory.getLogger(WebVerticle.class);

  private final Config config;
  private final List<String> components;
  private final Set<Route> passThrough = ConcurrentHashMap.newKeySet();
  private final Handler<RoutingContext> scrapeAuth;
  private HttpServer server;
  private HttpServer metricsServer;
  private BiConsumer<Router, Router> metricsRoutes = (router, nodeApi) -> {};

  public WebVerticle(Config config, List<String> components) {
    this(config, components, null);
  }

  /** With {@code scrapeAuth} (a {@link ScrapeAuth}, or null for none) in front of every /metrics route. */
  public WebVerticle(Config config, List<String> components, Handler<RoutingContext> scrapeAuth) {
    this.config = config;
    this.components = List.copyOf(components);
    this.scrapeAuth = scrapeAuth;
  }

  @Override
  public Future<?> start() {
    if (config.metricsAuth() == Config.MetricsAuth.KUBERNETES && scrapeAuth == null) {
      return Future.failedFuture("--metrics-auth kubernetes: no scrape authentication was set up");
    }
    Probes probes = new Probes(vertx, config, components);
    vertx.eventBus().<JsonObject>consumer(HEALTH, m -> m.reply(new JsonObject()
        .put("state", server == null ? "starting" : "up")
        .put("ready", server != null && (config.metricsPort() == null || metricsServer != null))
        .put("httpPort", httpPort())
        .put("metricsPort", metricsPort())));

    int maxConnections = maxConnections(config.httpMaxConnections());
    ConnectionGuard mainGuard = new ConnectionGuard("page and API", maxConnections, config.httpHeaderTimeout().toMillis());
    ConnectionGuard metricsGuard = new ConnectionGuard("metrics", maxConnections, config.httpHeaderTimeout().toMillis());
    Future<HostCheck> mainHosts = HostCheck.create(vertx, config.httpHost(), config.nodeName(), config.allowedHosts());
    Future<HostCheck> metricsHosts = HostCheck.create(vertx, config.metricsHost(), config.nodeName(), config.allowedHosts());
    Future<ApiToken> token = ApiToken.create(vertx, config.httpHost(), config.apiTokenFile());
    return Future.all(mainHosts, metricsHosts, token).compose(ready -> listen(probes, mainGuard, mainHosts.result(),
        metricsGuard, metricsHosts.result(), token.result()));
  }

  private Future<HttpServer> listen(Probes probes, ConnectionGuard mainGuard, HostCheck mainHosts,
      ConnectionGuard metricsGuard, HostCheck metricsHosts, ApiToken token) {
    Router main = newRouter(mainGuard, mainHosts);
    // refused before any body is read: changing tasks off loopback without the token, and form or multipart
    // bodies, which no route accepts (their parser's errors are not for clients)
    passThrough.add(main.route("/api/v1/tasks*").handler(token));
    passThrough.add(main.route("/api/*").handler(WebVerticle::refuseForms));
    passThrough.add(main.route("/api/*").handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT)));
    Api.mount(vertx, main, config);
    TaskRoutes.mount(vertx, main);
    UsageRoutes.mount(vertx, main);
    ClusterRoutes.mount(vertx, main, config.mode() == Config.Mode.KUBERNETES);
    mountOperations(main, probes);
    LiveRoutes.mount(vertx, main, LiveBridge.MAX_IN_FLIGHT, LiveRoutes.PING_TIMEOUT_MS);
    Future<Void> docs = Docs.mount(vertx, main);

    Future<HttpServer> listening = docs.compose(ignored -> guarded(mainGuard).requestHandler(main)
        .listen(config.httpPort(), config.httpHost()));
    if (config.metricsPort() != null) {
      Router metricsOnly = newRouter(metricsGuard, metricsHosts);
      mountOperations(metricsOnly, probes);
      metricsRoutes.accept(metricsOnly, nodeApi());
      listening = listening.compose(s -> {
        server = s;
        return guarded(metricsGuard).requestHandler(metricsOnly).listen(config.metricsPort(), config.metricsHost())
            .onSuccess(m -> {
              metricsServer = m;
              LOG.info("metrics and probes on http://{}:{}/metrics", config.metricsHost(), m.actualPort());
            });
      });
    }
    return listening.onSuccess(s -> {
      if (server == null) {
        server = s;
      }
      LOG.info("listening on http://{}:{}/ (at most {} connections per listener)", config.httpHost(),
          server.actualPort(), mainGuard.max());
      Listening ports = new Listening(httpPort(), metricsServer != null ? metricsPort() : null);
      vertx.eventBus().publish(Listening.ADDRESS, ports.toJson());
    });
  }

  /** A server whose connections are timed out and capped by {@code guard}. */
  private HttpServer guarded(ConnectionGuard guard) {
    guard.start(vertx);
    return vertx.createHttpServer(new HttpServerOptions()
            // no h2c detection, which holds a new connection back until its first bytes: the guard sees it at once
            .setHttp2ClearTextEnabled(false)
            // the live page's frames are a few hundred bytes: no deflate extension, whose handler would sit in
            // every connection's pipeline (scrapes and REST calls too) for nothing
            .setPerMessageWebSocketCompressionSupported(false)
            .setPerFrameWebSocketCompressionSupported(false)
            // what one client may make the agent hold of one request or frame: the request line, the headers, a
            // WebSocket frame and message (the bridge's inbound frames are pings and registrations, a few dozen
            // bytes); the request bodies are bounded by the routes' BodyHandlers
            .setMaxInitialLineLength(MAX_REQUEST_LINE)
            .setMaxHeaderSize(MAX_HEADERS)
            .setMaxWebSocketFrameSize(MAX_WEBSOCKET_MESSAGE)
            .setMaxWebSocketMessageSize(MAX_WEBSOCKET_MESSAGE)
            .setIdleTimeout((int) config.httpIdleTimeout().toMillis())
            .setIdleTimeoutUnit(TimeUnit.MILLISECONDS))
        .connectionHandler(guard::opened);
  }

  /** {@code --http-max-connections}, lowered to a quarter of the open-file limit so the agent's own work keeps its files. */
  static int maxConnections(int configured) {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean os) {
      long quarter = os.getMaxFileDescriptorCount() / 4;
      if (quarter < configured) {
        LOG.info("--http-max-connections {} lowered to {}, a quarter of the open-file limit {}", configured,
            Math.max(16, quarter), os.getMaxFileDescriptorCount());
        return (int) Math.max(16, quarter);
      }
    }
    return configured;
  }

  /** 415 for form and multipart bodies: the API takes JSON (and YAML for tasks) only. */
  private static void refuseForms(RoutingContext ctx) {
    String type = ctx.request().getHeader("content-type");
    String media = MediaType.of(type);
    if (media.startsWith("multipart/") || media.equals("application/x-www-form-urlencoded")) {
      Errors.send(ctx, 415, "the body must be JSON (content-type application/json)",
          new JsonObject().put("field", "content-type").put("value", media));
      return;
    }
    ctx.next();
  }

  /** The page and API listener's actual port (-1 before it listens). */
  public int httpPort() {
    return server == null ? -1 : server.actualPort();
  }

  /**
   * Mounts more routes on the metrics listener (the peers' read-only ones); call before deploying. {@code mount} is
   * given the metrics listener's router and a router of this node's own REST ({@link #nodeApi}) to mount under it.
   */
  public WebVerticle metricsRoutes(BiConsumer<Router, Router> mount) {
    metricsRoutes = mount;
    return this;
  }

  /** This node's own REST under /api/v1 as the main listener answers it, GET only (anything else is 405). */
  private Router nodeApi() {
    Router api = Router.router(vertx);
    api.route().handler(ctx -> {
      if (ctx.request().method() == io.vertx.core.http.HttpMethod.GET) {
        ctx.next();
      } else {
        ctx.response().putHeader("allow", "GET");
        Errors.send(ctx, 405, Errors.reason(405), null);
      }
    });
    Api.mount(vertx, api, config);
    TaskRoutes.mount(vertx, api);
    UsageRoutes.mount(vertx, api);
    return api;
  }

  /** The separate metrics listener's actual port, or -1 when there is none. */
  public int metricsPort() {
    return metricsServer == null ? -1 : metricsServer.actualPort();
  }

  /**
   * A router that tracks each request on the listener's guard, counts it, checks its Host and answers errors
   * as JSON: the one failure handler, whose answers never carry exception texts (they are logged).
   */
  private Router newRouter(ConnectionGuard guard, HostCheck hosts) {
    Router router = Router.router(vertx);
    passThrough.add(router.route().order(-1_002).failureHandler(WebVerticle::clientWentAway));
    passThrough.add(router.route().order(-1_001).handler(guard));
    passThrough.add(router.route().order(-1_000).handler(this::count));
    passThrough.add(router.route().order(-999).handler(hosts));
    for (int status : new int[] {400, 404, 405, 413, 415, 500, 503}) {
      router.errorHandler(status, ctx -> {
        int code = ctx.statusCode() > 0 ? ctx.statusCode() : status;
        Throwable failure = ctx.failure();
        if (code == 405) {
          ctx.response().putHeader("allow", allowed(router, ctx.request().path()));
        }
        Errors.send(ctx, code, Errors.reason(code), code == 404 ? ctx.request().path() : null);
        if (failure != null) {
          if (code >= 500) {
            LOG.warn("{} {} failed", ctx.request().method(), ctx.request().path(), failure);
          } else {
            LOG.debug("{} {} answered {}: {}", ctx.request().method(), ctx.request().path(), code, failure.toString());
          }
        }
      });
    }
    return router;
  }

  /**
   * A client that went away while its request was read or answered (a body cut short, a reset) is ordinary: logged
   * at DEBUG, where Vert.x would log an ERROR with a stack trace. Every other failure goes on to the error handlers.
   */
  private static void clientWentAway(RoutingContext ctx) {
    Throwable failure = ctx.failure();
    // the request's stream fails with these only when its connection ends (the response may not know it yet)
    if (failure instanceof HttpClosedException || failure instanceof java.io.IOException) {
      LOG.debug("{} {}: the client went away: {}", ctx.request().method(), ctx.request().path(), failure.toString());
      return;
    }
    ctx.next();
  }

  /** The methods some route answers on {@code path}, for the Allow header of a 405. */
  static String allowed(Router router, String path) {
    java.util.TreeSet<String> methods = new java.util.TreeSet<>();
    for (Route r : router.getRoutes()) {
      String template = r.getPath();
      if (template == null || r.methods() == null || r.methods().isEmpty()) {
        continue;
      }
      StringBuilder regex = new StringBuilder();
      for (String part : template.split("(?=/)")) {
        regex.append(part.startsWith("/:") ? "/[^/]+" : java.util.regex.Pattern.quote(part));
      }
      regex.append(r.isExactPath() ? "/?" : ".*");
      if (path.matches(regex.toString())) {
        r.methods().forEach(m -> methods.add(m.name()));
      }
    }
    return String.join(", ", methods);
  }

  /** /metrics and the probes: on the main listener and on the metrics listener alike. */
  private void mountOperations(Router router, Probes probes) {
    router.get("/healthz").handler(probes::healthz);
    router.get("/readyz").handler(probes::readyz);
    Route metrics = router.get("/metrics");
    if (scrapeAuth != null) {
      metrics.handler(scrapeAuth);
    }
    metrics.handler(this::metrics);
  }

  private void metrics(RoutingContext ctx) {
    String accept = ctx.request().getHeader("accept");
    vertx.eventBus().<JsonObject>request(MetricsVerticle.SCRAPE, new JsonObject().put("accept", accept),
            new DeliveryOptions().setSendTimeout(10_000))
        .onSuccess(m -> ctx.response().putHeader("content-type", m.body().getString("contentType"))
            .end(m.body().getString("body")))
        .onFailure(err -> Errors.fromBus(ctx, MetricsVerticle.SCRAPE, err));
  }

  private void count(RoutingContext ctx) {
    ctx.addEndHandler(done -> {
      Route r = ctx.currentRoute();
      String route = r == null || passThrough.contains(r) ? UNMATCHED
          : r.getPath() != null ? ctx.mountPoint() == null ? r.getPath() : stripSlash(ctx.mountPoint()) + r.getPath()
          : r.getName() != null ? r.getName() : UNMATCHED;
      if (ctx.response().getStatusCode() == 404 && r != null && r.getPath() != null && r.getPath().endsWith("/")
          && !ctx.request().path().equals(r.getPath())) {
        route = UNMATCHED; // a prefix route (static files) that found nothing
      }
      String method = ctx.request().method().name();
      vertx.eventBus().publish(WebRequest.ADDRESS, new WebRequest(METHODS.contains(method) ? method : OTHER_METHOD,
          route, ctx.response().getStatusCode()).toJson());
    });
    ctx.next();
  }

  private static String stripSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}
