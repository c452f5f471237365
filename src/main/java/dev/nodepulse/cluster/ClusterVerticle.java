package dev.nodepulse.cluster;

import dev.nodepulse.bus.AgentLeases;
import dev.nodepulse.bus.ClusterView;
import dev.nodepulse.sampler.SamplerVerticle;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cluster view (Kubernetes mode): every agent known from the Leases ({@link AgentLeases}) with its latest
 * figures, asked of each peer's {@code GET /peer/v1/summary} with this agent's ServiceAccount token. Peers are asked
 * only while someone views (a REST call within {@link #VIEW_GRACE}, or a page subscribed to
 * {@link ClusterView#SUMMARY}): then once a second, at most one request in flight per peer however many view, each
 * answer bounded to {@link #MAX_SUMMARY_BYTES}; the summary is published once a second while a page is subscribed.
 * Nothing is asked and nothing published while nobody views. {@link ClusterView#PROXY} forwards a GET of a node's
 * own REST ({@link PeerPaths}) to that node's peer routes.
 */
public final class ClusterVerticle extends VerticleBase {
  static final Duration TICK = Duration.ofSeconds(1);
  /** How long a REST call keeps the peers asked. */
  static final Duration VIEW_GRACE = Duration.ofSeconds(10);
  static final Duration ASK_TIMEOUT = Duration.ofSeconds(2);
  static final Duration PROXY_TIMEOUT = Duration.ofSeconds(8);
  static final int MAX_SUMMARY_BYTES = 16 * 1024;
  static final int MAX_PROXY_BYTES = 4 * 1024 * 1024;
  private static final DeliveryOptions LOCAL = new DeliveryOptions().setSendTimeout(5_000);
  private static final Logger LOG = LoggerFactory.getLogger(ClusterVerticle.class);

  private final String self;
  private final Supplier<String> token;
  private final InstantSource clock;
  /** Event-loop only, as everything below. */
  private final Map<String, NodeStates.Known> known = new HashMap<>();
  /** The request in flight per node (at most one). */
  private final Map<String, Future<Void>> asking = new HashMap<>();
  private List<AgentLeases.Peer> leases = List.of();
  /** Nodes whose Lease was removed, and when this agent saw it gone (shown Stopped for a while, then forgotten). */
  private final Map<String, Instant> left = new HashMap<>();
  private PeerClient summaries;
  private PeerClient proxies;
  private int viewers;
  private Instant lastCall;
  private Instant polledAt;
  /** The round a REST call started after a pause, until its answers are in. */
  private Future<Void> firstRound;
  private long timer = -1;

  /**
   * @param self this agent's node name
   * @param token this agent's ServiceAccount token, read when a peer is asked (null or empty: peers cannot be asked)
   */
  public ClusterVerticle(String self, Supplier<String> token, InstantSource clock) {
    this.self = self;
    this.token = token;
    this.clock = clock;
  }

  @Override
  public Future<?> start() {
    summaries = new PeerClient(vertx, 1, 1);
    proxies = new PeerClient(vertx, 2, 16);
    vertx.eventBus().<JsonObject>consumer(ClusterView.NODES, this::nodes);
    vertx.eventBus().<JsonObject>localConsumer(ClusterView.VIEWERS, m -> {
      viewers = m.body().getInteger("count", 0);
      tickWhileViewed();
    });
    vertx.eventBus().<JsonObject>consumer(ClusterView.PROXY, this::proxy);
    return Future.succeededFuture();
  }

  private void nodes(Message<JsonObject> m) {
    Instant now = clock.instant();
    lastCall = now;
    tickWhileViewed();
    // while the view is asked each second the figures are at most a second old; else they are asked first, and
    // every call meanwhile waits for that same round
    Future<Void> ready;
    if (firstRound != null) {
      ready = firstRound;
    } else if (polledAt != null && polledAt.plus(TICK.multipliedBy(2)).isAfter(now)) {
      ready = Future.succeededFuture();
    } else {
      Future<Void> round = poll();
      firstRound = round;
      ready = round.onComplete(done -> firstRound = null);
    }
    ready.onComplete(done -> m.reply(summary()));
  }

  private boolean viewed(Instant now) {
    return viewers > 0 || lastCall != null && lastCall.plus(VIEW_GRACE).isAfter(now);
  }

  private void tickWhileViewed() {
    if (timer < 0 && viewed(clock.instant())) {
      timer = vertx.setPeriodic(0, TICK.toMillis(), id -> tick());
    }
  }

  private void tick() {
    if (!viewed(clock.instant())) {
      vertx.cancelTimer(timer);
      timer = -1;
      return;
    }
    poll();
    if (viewers > 0) {
      vertx.eventBus().publish(ClusterView.SUMMARY, summary());
    }
  }

  /** True while the peers are asked each second (someone views). */
  boolean polling() {
    return timer >= 0;
  }

  private JsonObject summary() {
    return NodeStates.toJson(NodeStates.merge(self, leases, known, left, clock.instant()));
  }

  /** Reads the Leases and asks every live peer with no request in flight; completes when those asked answered. */
  private Future<Void> poll() {
    polledAt = clock.instant();
    return vertx.eventBus().<JsonObject>request(AgentLeases.ADDRESS, new JsonObject(), LOCAL)
        .map(m -> AgentLeases.fromJson(m.body()).items())
        .otherwise(leases)
        .compose(seen -> {
          Instant now = clock.instant();
          for (AgentLeases.Peer gone : leases) {
            if (seen.stream().noneMatch(l -> l.node().equals(gone.node()))) {
              left.put(gone.node(), now);
            }
          }
          seen.forEach(l -> left.remove(l.node()));
          left.values().removeIf(at -> !now.isBefore(at.plus(NodeStates.LEFT_SHOWN)));
          leases = seen;
          known.keySet().removeIf(node -> !node.equals(self) && !left.containsKey(node)
              && seen.stream().noneMatch(l -> l.node().equals(node)));
          List<Future<Void>> asks = new ArrayList<>();
          asks.add(once(self, this::askSelf));
          for (AgentLeases.Peer p : seen) {
            if (!p.node().equals(self) && p.podIp() != null && p.metricsPort() != null) {
              asks.add(once(p.node(), () -> ask(p)));
            }
          }
          return Future.join(asks).<Void>mapEmpty().otherwiseEmpty();
        });
  }

  /** The request in flight for {@code node}, or a new one. */
  private Future<Void> once(String node, Supplier<Future<Void>> ask) {
    Future<Void> inFlight = asking.get(node);
    if (inFlight != null) {
      return inFlight;
    }
    Future<Void> started = ask.get();
    if (!started.isComplete()) {
      asking.put(node, started);
      started.onComplete(done -> asking.remove(node));
    }
    return started;
  }

  private Future<Void> askSelf() {
    return vertx.eventBus().<JsonObject>request(SamplerVerticle.LATEST, new JsonObject(), LOCAL)
        .map(m -> {
          known.put(self, NodeStates.Known.answered(Figures.fromJson(PeerRoutes.summary(m.body())), clock.instant()));
          return (Void) null;
        })
        .recover(err -> {
          failed(self, "no sample yet: " + err.getMessage());
          return Future.succeededFuture();
        });
  }

  private Future<Void> ask(AgentLeases.Peer p) {
    String bearer = token.get();
    if (bearer == null || bearer.isBlank()) {
      failed(p.node(), "this agent has no ServiceAccount token to show its peers");
      return Future.succeededFuture();
    }
    return summaries.get(p.podIp(), p.metricsPort(), PeerRoutes.SUMMARY, bearer, MAX_SUMMARY_BYTES, ASK_TIMEOUT)
        .map(a -> {
          if (a.status() != 200) {
            failed(p.node(), "its peer endpoint answered " + a.status() + errorOf(a));
            return (Void) null;
          }
          Figures figures;
          try {
            figures = Figures.fromJson(a.body().toJsonObject());
          } catch (RuntimeException e) { // not JSON, or a field out of range: named
            failed(p.node(), "its answer is not understood: " + (e instanceof IllegalArgumentException
                ? e.getMessage() : "not a JSON object"));
            return (Void) null;
          }
          NodeStates.Known before = known.put(p.node(), NodeStates.Known.answered(figures, clock.instant()));
          if (before != null && before.error() != null) {
            LOG.info("cluster view: node {} answers again", p.node());
          }
          return (Void) null;
        })
        .recover(err -> {
          failed(p.node(), "its peer endpoint " + p.podIp() + ":" + p.metricsPort() + " cannot be reached: "
              + describe(err));
          return Future.succeededFuture();
        });
  }

  private void failed(String node, String why) {
    NodeStates.Known before = known.get(node);
    known.put(node, before == null ? NodeStates.Known.failedFirst(why) : before.failed(why));
    if (before == null || before.error() == null) {
      LOG.warn("cluster view: node {} unreachable ({}); said again only after it answered", node, why);
    }
  }

  private static String errorOf(PeerClient.Answer a) {
    try {
      String error = a.body().toJsonObject().getString("error");
      return error == null ? "" : ": " + (error.length() > 200 ? error.substring(0, 200) + "..." : error);
    } catch (RuntimeException e) {
      return "";
    }
  }

  private static String describe(Throwable err) {
    String s = err instanceof TimeoutException || err instanceof PeerClient.TooLarge ? err.getMessage()
        : err.getClass().getSimpleName() + (err.getMessage() == null ? "" : ": " + err.getMessage());
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }

  /** {@link ClusterView#PROXY}: the node, the path and the query checked here, then the node's own answer. */
  private void proxy(Message<JsonObject> m) {
    String node = m.body().getString("node");
    String path = m.body().getString("path");
    String query = m.body().getString("query");
    if (!PeerPaths.node(node)) {
      fail(m, 404, "no node " + Figures.shown(node) + " in the cluster view: not a DNS-1123 name",
          new JsonObject().put("field", "node").put("value", cut(node)));
      return;
    }
    if (!PeerPaths.allowed(path)) {
      fail(m, 404, "/api/v1/" + cut(path) + " is not a path the cluster view forwards to node " + node,
          new JsonObject().put("field", "path").put("value", cut(path)).put("allowed", PeerPaths.SHOWN));
      return;
    }
    vertx.eventBus().<JsonObject>request(AgentLeases.ADDRESS, new JsonObject(), LOCAL)
        .map(r -> AgentLeases.fromJson(r.body()).items()).otherwise(leases)
        .onSuccess(seen -> forward(m, seen, node, path, query));
  }

  private void forward(Message<JsonObject> m, List<AgentLeases.Peer> seen, String node, String path, String query) {
    AgentLeases.Peer p = seen.stream().filter(l -> l.node().equals(node)).findFirst().orElse(null);
    if (p == null) {
      fail(m, 404, "no node '" + node + "' in the cluster view: no agent's Lease names it",
          new JsonObject().put("field", "node").put("value", node));
      return;
    }
    if (p.podIp() == null || p.metricsPort() == null) {
      fail(m, 503, "the Lease of node " + node + " names no peer address (an agent without --metrics-port)", null);
      return;
    }
    String bearer = token.get();
    if (bearer == null || bearer.isBlank()) {
      fail(m, 503, "this agent has no ServiceAccount token to show node " + node, null);
      return;
    }
    String uri = PeerRoutes.NODE + "/api/v1/" + path + (query == null || query.isEmpty() ? "" : "?" + query);
    proxies.get(p.podIp(), p.metricsPort(), uri, bearer, MAX_PROXY_BYTES, PROXY_TIMEOUT).onSuccess(a -> {
      if (a.status() == 401 || a.status() == 403) {
        fail(m, 502, "node " + node + " refused this agent's token (" + a.status() + errorOf(a) + ")", null);
      } else {
        m.reply(new JsonObject().put("status", a.status()).put("contentType", a.contentType()).put("body", a.body()));
      }
    }).onFailure(err -> fail(m, err instanceof TimeoutException ? 504 : 502, "node " + node + " did not answer: "
        + describe(err), null));
  }

  private static void fail(Message<?> m, int status, String error, JsonObject details) {
    m.fail(status, new JsonObject().put("error", error).put("details", details).encode());
  }

  private static String cut(String s) {
    return s == null ? null : s.length() > 200 ? s.substring(0, 200) + "..." : s;
  }

  @Override
  public Future<?> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    summaries.close();
    proxies.close();
    return Future.succeededFuture();
  }
}
