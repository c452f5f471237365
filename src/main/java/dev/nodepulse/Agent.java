package dev.nodepulse;

import dev.nodepulse.config.Config;
import dev.nodepulse.metrics.MetricsVerticle;
import dev.nodepulse.sampler.SamplerVerticle;
import dev.nodepulse.scheduler.SchedulerVerticle;
import dev.nodepulse.tasks.source.DirectorySource;
import dev.nodepulse.tasks.source.RestSource;
import dev.nodepulse.web.WebVerticle;
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
  public static final List<String> COMPONENTS = List.of("sampler", "metrics", "scheduler", "tasks-dir", "web");

  private final Vertx vertx;
  private final Config config;
  private volatile int httpPort = -1;
  private volatile int metricsPort = -1;

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

  /** Starts an agent on a fresh Vert.x instance; fails (and closes it) if any verticle fails. */
  public static Future<Agent> start(Config config) {
    Vertx vertx = Vertx.vertx(vertxOptions());
    Agent agent = new Agent(vertx, config);
    return agent.deploy().recover(err -> vertx.close().transform(ignored -> Future.failedFuture(err)));
  }

  private Future<Agent> deploy() {
    List<VerticleBase> first = new ArrayList<>();
    first.add(new MetricsVerticle(config));
    first.add(new SamplerVerticle(config));
    first.add(new SchedulerVerticle(config));
    first.add(new RestSource());
    first.add(new DirectorySource(config));
    Future<Void> chain = Future.succeededFuture();
    for (VerticleBase v : first) {
      chain = chain.compose(ignored -> vertx.deployVerticle(v).mapEmpty());
    }
    WebVerticle web = new WebVerticle(config, COMPONENTS);
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
    return vertx.close();
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
