package dev.nodepulse;

import dev.nodepulse.cluster.ClusterVerticle;
import dev.nodepulse.cluster.PeerRoutes;
import dev.nodepulse.config.Config;
import dev.nodepulse.kube.Kube;
import dev.nodepulse.metrics.MetricsVerticle;
import dev.nodepulse.sampler.SamplerVerticle;
import dev.nodepulse.tasks.TasksVerticle;
import dev.nodepulse.tasks.source.DirectorySource;
import dev.nodepulse.tasks.source.RestSource;
import dev.nodepulse.tasks.target.Targets;
import dev.nodepulse.usage.UsageVerticle;
import dev.nodepulse.web.ScrapeAuth;
import dev.nodepulse.web.WebVerticle;
import dev.nodepulse.web.WebhookVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VerticleBase;
import io.vertx.core.VertxOptions;
import java.util.ArrayList;
import java.util.List;

/**
 * The agent: one Vert.x instance and one verticle per concern. Verticles know each other only by
 * event-bus addresses. Used by {@link Main} and by tests that start a whole agent.
 */
public final class Agent {
  /** Components whose state /healthz and /readyz report; each answers on {@code nodepulse.health.<name>}. */
  public static final List<String> COMPONENTS = List.of("sampler", "metrics", "scheduler", "tasks-dir", "web", UsageVerticle.COMPONENT);

  /** The components of an agent in this mode: Kubernetes mode adds {@code kubernetes}. */
  public static List<String> components(Config config) {
    if (config.mode() != Config.Mode.KUBERNETES) {
      return COMPONENTS;
    }
    List<String> all = new ArrayList<>(COMPONENTS);
    all.add(Kube.COMPONENT);
    return List.copyOf(all);
  }

  private final Vertx vertx;
  private final Config config;
  private volatile int httpPort = -1;
  private volatile int metricsPort = -1;
  private ScrapeAuth scrapeAuth;
  private ScrapeAuth peerAuth;

  private Agent(Vertx vertx, Config config) {
    this.vertx = vertx;
    this.config = config;
  }

  /**
   * Vert.x sized for a node agent: its work is a sample a second, a few scrapes and task runs, so one
   * event loop and a few workers do (the defaults, two loops per core and 20 workers, only add threads
   * that each keep a stack; see docs/benchmarks.md).
   */
  static VertxOptions vertxOptions() {
    return new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(4).setInternalBlockingPoolSize(2);
  }

  /**
   * System properties for what the agent never uses, set unless already set (before Netty or Vert.x read
   * them): Netty's JFR events (its allocator's first chunk would register them, loading about 100 of the
   * JDK's JFR classes into every agent) and Vert.x's own DNS resolver (task targets are resolved with the
   * JDK's resolver by the destination policy, so Netty's resolver classes need not load). See docs/benchmarks.md.
   */
  static void leanDefaults() {
    System.getProperties().putIfAbsent("io.netty.jfr.enabled", "false");
    System.getProperties().putIfAbsent("vertx.disableDnsResolver", "true");
  }

  /**
   * Starts an agent on a fresh Vert.x instance; fails (and closes it) if any verticle fails. Options that only a
   * concern can judge are checked first, so a refused start opens nothing (no store in the data dir).
   */
  public static Future<Agent> start(Config config) {
    try {
      Targets.check(config);
    } catch (IllegalArgumentException refused) {
      return Future.failedFuture(refused.getMessage());
    }
    leanDefaults();
    Vertx vertx = Vertx.vertx(vertxOptions());
    Agent agent = new Agent(vertx, config);
    return agent.deploy().recover(err -> agent.stop().transform(ignored -> Future.failedFuture(err)));
  }

  private Future<Agent> deploy() {
    List<VerticleBase> first = new ArrayList<>();
    first.add(new MetricsVerticle(config));
    first.add(new SamplerVerticle(config));
    first.add(new UsageVerticle(config));
    Kube.Mode kube;
    try {
      kube = config.mode() == Config.Mode.KUBERNETES ? Kube.mode(config, vertx) : null;
    } catch (IllegalArgumentException refused) { // credentials the agent cannot send as kubectl would
      return Future.failedFuture(refused.getMessage());
    }
    first.add(kube == null ? new TasksVerticle(config) : new TasksVerticle(config, kube.plugins()));
    first.add(new RestSource());
    first.add(new DirectorySource(config));
    if (kube != null) {
      first.add(kube.verticle()); // kubernetes mode is the only path that loads fabric8 classes
      first.add(new ClusterVerticle(config.nodeName(), kube.peerToken(), java.time.Clock.systemUTC()));
    }
    if (config.webhookPort() > 0) { // the admission webhook: the agent's validation at kubectl apply
      first.add(new WebhookVerticle(config));
    }
    Future<Void> chain = Future.succeededFuture();
    for (VerticleBase v : first) {
      chain = chain.compose(ignored -> vertx.deployVerticle(v).mapEmpty());
    }
    if (config.metricsAuth() == Config.MetricsAuth.KUBERNETES) {
      scrapeAuth = ScrapeAuth.create(vertx);
    }
    WebVerticle web = new WebVerticle(config, components(config), scrapeAuth);
    if (kube != null && config.metricsPort() != null) {
      peerAuth = ScrapeAuth.create(vertx, PeerRoutes.PEER_URL, io.fabric8.kubernetes.client.Config.autoConfigure(null));
      web.metricsRoutes((router, nodeApi) -> PeerRoutes.mount(router, peerAuth, nodeApi));
    }
    return chain
        .compose(ignored -> vertx.deployVerticle(web))
        .map(ignored -> {
          httpPort = web.httpPort();
          metricsPort = web.metricsPort();
          return this;
        });
  }

  /** Stops every verticle (each flushes what it must) and closes Vert.x. */
  public Future<Void> stop() {
    return vertx.close().onComplete(ignored -> {
      if (scrapeAuth != null) {
        scrapeAuth.close();
      }
      if (peerAuth != null) {
        peerAuth.close();
      }
    });
  }

  public Vertx vertx() {
    return vertx;
  }

  public Config config() {
    return config;
  }

  /** The port the page and API listen on (the actual one when started with port 0). */
  public int httpPort() {
    return httpPort;
  }

  /** The separate metrics listener's port, or -1 when there is none. */
  public int metricsPort() {
    return metricsPort;
  }
}
