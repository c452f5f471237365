package dev.nodepulse.metrics;

import dev.nodepulse.config.Config;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * The metrics concern: a private Prometheus registry fed from the event bus (samples, task runs and
 * changes, HTTP requests, live clients) and rendered on {@link #SCRAPE}. Web serves it as /metrics.
 */
public final class MetricsVerticle extends VerticleBase {
  /** Request/reply: {@code {"accept": "<Accept header>"}} → {@code {"contentType", "body"}}. */
  public static final String SCRAPE = "nodepulse.metrics.scrape";
  public static final String HEALTH = "nodepulse.health.metrics";
  // Addresses published by other concerns (their constants live there).
  static final String SAMPLE = dev.nodepulse.sampler.SamplerVerticle.SAMPLE;
  static final String TASK_RUN = dev.nodepulse.tasks.TasksVerticle.RUN;
  static final String TASK_CHANGED = dev.nodepulse.tasks.TasksVerticle.CHANGED;
  static final String WEB_REQUEST = dev.nodepulse.web.WebVerticle.REQUEST;
  static final String WEB_CLIENTS = dev.nodepulse.web.WebVerticle.CLIENTS;

  private final Config config;
  private NodepulseMetrics metrics;
  private volatile String lastError;

  public MetricsVerticle(Config config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    metrics = NodepulseMetrics.register(new PrometheusRegistry(), true);
    EventBus bus = vertx.eventBus();
    bus.<JsonObject>consumer(SAMPLE, m -> metrics.sample(m.body()));
    bus.<JsonObject>consumer(TASK_RUN, m -> guarded(() -> metrics.taskRun(m.body())));
    bus.<JsonObject>consumer(TASK_CHANGED, m -> guarded(() -> metrics.taskChanged(m.body())));
    bus.<JsonObject>consumer(WEB_REQUEST, m -> guarded(() -> metrics.httpRequest(
        m.body().getString("method", "OTHER"), m.body().getString("route", "other"), m.body().getInteger("status", 0))));
    bus.<JsonObject>consumer(WEB_CLIENTS, m -> guarded(() -> metrics.liveClients(m.body().getInteger("count", 0))));
    bus.<JsonObject>consumer(SCRAPE, m -> {
      String accept = m.body() == null ? null : m.body().getString("accept");
      vertx.executeBlocking(() -> metrics.scrape(accept), false)
          .onSuccess(e -> m.reply(new JsonObject().put("contentType", e.contentType()).put("body", e.body())))
          .onFailure(err -> {
            lastError = "scrape failed: " + err;
            m.fail(500, new JsonObject().put("error", "cannot render metrics").put("details", err.toString()).encode());
          });
    });
    bus.<JsonObject>consumer(HEALTH, m -> {
      Long t = metrics.lastSampleT();
      JsonObject health = new JsonObject().put("state", "up").put("ready", true)
          .put("lastSampleAt", t == null ? null : Instant.ofEpochMilli(t).toString())
          .put("separateListener", config.metricsPort() != null);
      if (lastError != null) {
        health.put("lastError", lastError);
      }
      m.reply(health);
    });
    return Future.succeededFuture();
  }

  private void guarded(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      lastError = e.toString();
    }
  }
}
