package dev.nodepulse.metrics;

import dev.nodepulse.bus.LiveClients;
import dev.nodepulse.bus.Sample;
import dev.nodepulse.bus.TaskRun;
import dev.nodepulse.bus.TaskState;
import dev.nodepulse.bus.WebRequest;
import dev.nodepulse.config.Config;
import dev.nodepulse.usage.UsageVerticle;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * The metrics concern: a private Prometheus registry fed from the event bus (samples, task runs and
 * changes, HTTP requests, live clients) and rendered on {@link #SCRAPE}. Web serves it as /metrics.
 *
 * <p>The body is rendered once per sample, not once per scrape: a rendering is reused until a new
 * sample, task run, task change or live-client count arrives, or until it is one sample interval old
 * (so request counters lag by at most that). Scrapes that come while a rendering is under way share it.
 */
public final class MetricsVerticle extends VerticleBase {
  /** Request/reply: {@code {"accept": "<Accept header>"}} → {@code {"contentType", "body"}}. */
  public static final String SCRAPE = "nodepulse.metrics.scrape";
  public static final String HEALTH = "nodepulse.health.metrics";

  private final Config config;
  private final long maxAgeNanos;
  private NodepulseMetrics metrics;
  private volatile String lastError;
  /** Renderings by format (true: OpenMetrics), reused until {@link #invalidate()} or too old. */
  private final Map<Boolean, Rendering> renderings = new HashMap<>();

  private record Rendering(Future<JsonObject> body, long atNanos) {}

  public MetricsVerticle(Config config) {
    this.config = config;
    this.maxAgeNanos = config.sampleInterval().toNanos();
  }

  @Override
  public Future<?> start() {
    metrics = NodepulseMetrics.register(new PrometheusRegistry(), true);
    EventBus bus = vertx.eventBus();
    bus.<JsonObject>consumer(Sample.ADDRESS, m -> {
      metrics.sample(Sample.fromJson(m.body()));
      invalidate();
    });
    bus.<JsonObject>consumer(UsageVerticle.SAMPLE, m -> {
      metrics.usage(m.body());
      invalidate();
    });
    if (config.podMetrics()) {
      metrics.exportPods();
      bus.<JsonObject>consumer(UsageVerticle.ALL_PODS, m -> metrics.pods(m.body()));
    }
    if (config.taskMetrics()) {
      metrics.exportTasks();
    }
    bus.<JsonObject>consumer(TaskRun.ADDRESS, m -> guarded(() -> {
      metrics.taskRun(TaskRun.fromJson(m.body()));
      invalidate();
    }));
    bus.<JsonObject>consumer(TaskState.ADDRESS, m -> guarded(() -> {
      metrics.taskChanged(TaskState.fromJson(m.body()));
      invalidate();
    }));
    bus.<JsonObject>consumer(WebRequest.ADDRESS, m -> guarded(() -> metrics.httpRequest(WebRequest.fromJson(m.body()))));
    // request counters alone do not invalidate: under a scrape storm each scrape would render anew
    bus.<JsonObject>consumer(LiveClients.ADDRESS, m -> guarded(() -> {
      metrics.liveClients(LiveClients.fromJson(m.body()).count());
      invalidate();
    }));
    bus.<JsonObject>consumer(SCRAPE, m -> {
      String accept = m.body() == null ? null : m.body().getString("accept");
      rendering(NodepulseMetrics.wantsOpenMetrics(accept))
          .onSuccess(m::reply)
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

  /** The current rendering in the given format, made now (on a worker) when there is none fresh enough. */
  private Future<JsonObject> rendering(boolean openMetrics) {
    long now = System.nanoTime();
    Rendering r = renderings.get(openMetrics);
    if (r != null && (!r.body().isComplete() || r.body().succeeded() && now - r.atNanos() < maxAgeNanos)) {
      return r.body();
    }
    String accept = openMetrics ? "application/openmetrics-text" : null;
    Future<JsonObject> body = vertx.executeBlocking(() -> metrics.scrape(accept), false)
        .map(e -> new JsonObject().put("contentType", e.contentType()).put("body", e.body()));
    renderings.put(openMetrics, new Rendering(body, now));
    return body;
  }

  /** Something the body shows changed: the next scrape renders anew. */
  private void invalidate() {
    renderings.clear();
  }

  private void guarded(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      lastError = e.toString();
    }
  }
}
