package dev.nodepulse.sampler;

import dev.nodepulse.bus.Sample;
import dev.nodepulse.config.Config;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sampler concern: samples the node once per {@code --sample-interval} and publishes the sample
 * ({@link SampleJson}), keeps the one-minute average, marks gaps in the {@link History}, and answers the
 * bus; the busiest processes are {@link TopProcesses}'. Addresses and bodies are described in docs/architecture.md.
 *
 * <p>All state lives on the event loop. The readings ({@link SampleSource}: /proc, or OSHI where there is none)
 * run on a thread of the sampler's own, so no API-server call, task run or database write in the shared worker
 * pool can delay a sample; filesystem sizes (a statvfs can hang on a dead network mount), process scans and
 * SQLite each have a thread of their own too.
 */
public final class SamplerVerticle extends VerticleBase {
  public static final String LATEST = "nodepulse.sampler.latest";
  public static final String HOST = "nodepulse.sampler.host";
  public static final String PROCESSES = "nodepulse.sampler.processes";
  public static final String HISTORY = "nodepulse.sampler.history";
  public static final String HEALTH = "nodepulse.health.sampler";

  private static final Logger log = LoggerFactory.getLogger(SamplerVerticle.class);
  private static final long FIRST_SAMPLE_MS = 250;

  private final Config config;
  private final Clock clock;
  private final long intervalMs;
  private final long firstSampleMs;
  private final long historyMs;
  /** A step between samples longer than this is a gap (sampling stalled, or the agent was down). */
  private final long gapThresholdMs;
  /** No sample for this long: the sampler is not ready (ten intervals, at least 10 s). */
  private final long stallMs;
  /** Process scans done (tests check that none happen while nobody asks). */
  final AtomicInteger processScans = new AtomicInteger();
  /** How long processes are scanned at each tick after the last request (shorter in tests). */
  long processLingerMs = 30_000;

  private WorkerExecutor sampleExecutor;
  private WorkerExecutor fsExecutor;
  private WorkerExecutor dbExecutor;
  private WorkerExecutor procExecutor;
  private SampleSource source;
  private long tickTimer = -1;
  private long flushTimer = -1;

  private HostFacts host;
  private ProcStat prevStat;
  private JsonObject latest;
  private long samples;
  private long lastSampleT;
  private boolean reading;
  private boolean readFailing;
  private final OneMinuteAverage avg1m = new OneMinuteAverage();

  private List<Partitions.Partition> partitions = List.of();
  private boolean partitionsReading;

  private History history;

  private TopProcesses processes;

  /** What start reads before the first sample: the source, its first counters (the baseline) and the host facts. */
  private record Baseline(SampleSource source, ProcStat stat, HostFacts host, long atNanos) {}


  public SamplerVerticle(Config config) {
    this(config, Clock.systemUTC(), FIRST_SAMPLE_MS);
  }

  SamplerVerticle(Config config, Clock clock) {
    this(config, clock, FIRST_SAMPLE_MS);
  }

  /** For tests of what comes before the first sample: it is taken this long after the baseline read at start (default 250 ms). */
  public static SamplerVerticle withFirstSampleAfter(Config config, long firstSampleMs) {
    return new SamplerVerticle(config, Clock.systemUTC(), firstSampleMs);
  }

  private SamplerVerticle(Config config, Clock clock, long firstSampleMs) {
    this.config = config;
    this.clock = clock;
    this.firstSampleMs = firstSampleMs;
    this.intervalMs = config.sampleInterval().toMillis();
    this.historyMs = config.history().toMillis();
    this.gapThresholdMs = intervalMs * 5 / 2;
    this.stallMs = Math.max(10 * intervalMs, 10_000);
  }

  @Override
  public Future<?> start() {
    String me = Integer.toString(System.identityHashCode(this));
    sampleExecutor = vertx.createSharedWorkerExecutor("nodepulse-sampler-" + me, 1);
    fsExecutor = vertx.createSharedWorkerExecutor("nodepulse-sampler-fs-" + me, 1);
    dbExecutor = vertx.createSharedWorkerExecutor("nodepulse-sampler-db-" + me, 1);
    procExecutor = vertx.createSharedWorkerExecutor("nodepulse-sampler-procs-" + me, 1);
    var bus = vertx.eventBus();
    bus.<JsonObject>consumer(LATEST, this::onLatest);
    bus.<JsonObject>consumer(HOST, this::onHost);
    bus.<JsonObject>consumer(PROCESSES, this::onProcesses);
    bus.<JsonObject>consumer(HISTORY, this::onHistory);
    bus.<JsonObject>consumer(HEALTH, msg -> msg.reply(health()));

    Future<Baseline> baseline = sampleExecutor.executeBlocking(() -> {
      SampleSource src = SampleSource.of(config);
      try {
        ProcStat stat = src.read().stat();
        long at = System.nanoTime();
        return new Baseline(src, stat, src.host(config.nodeName()), at);
      } catch (Exception e) {
        src.close();
        throw e;
      }
    });
    Future<Void> proc = baseline.map(b -> {
      source = b.source();
      prevStat = b.stat();
      host = b.host();
      processes = new TopProcesses(procExecutor, source, host.bootTimeSeconds(), intervalMs, processLingerMs, processScans);
      return null;
    });
    history = new History(dbExecutor, config.dataDir(), clock, historyMs);
    Future<Void> db = history.open().map(r -> {
      for (Point p : r.lastMinute()) {
        if (p.cpu() != null) {
          avg1m.add(p.t(), p.cpu());
        }
      }
      Long last = r.lastT();
      long now = clock.millis();
      if (last != null && now - last > gapThresholdMs) {
        log.info("history: agent was down from {} to {}; marking the gap", Instant.ofEpochMilli(last), Instant.ofEpochMilli(now));
        history.add(Point.gap(last + 1));
        history.add(Point.gap(now));
      } else if (last != null) {
        // down for a moment only: the first sample may still come too late after the last point
        lastSampleT = last;
      }
      return (Void) null;
    });
    return Future.all(proc, db).onFailure(err -> history.abandon()).onSuccess(ignored -> {
      refreshPartitions();
      // the first sample soon after start (CPU % over the time since the baseline read), so /readyz
      // and the figures answer within a fraction of a second rather than after a whole interval; counted
      // from the baseline read, so the time SQLite took to open (in parallel) is not waited twice
      long sinceBaselineMs = (System.nanoTime() - baseline.result().atNanos()) / 1_000_000;
      long first = Math.max(1, Math.min(firstSampleMs, intervalMs) - sinceBaselineMs);
      tickTimer = vertx.setPeriodic(first, intervalMs, id -> tick());
      flushTimer = vertx.setPeriodic(History.FLUSH_EVERY_MS, id -> history.flush());
    });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(tickTimer);
    vertx.cancelTimer(flushTimer);
    if (source != null) {
      History.closeOn(sampleExecutor, source);
      source = null;
    }
    return history.close();
  }

  // ---- sampling ----

  private void tick() {
    long t = clock.millis();
    if (!reading && source != null) {
      reading = true;
      SampleSource src = source;
      sampleExecutor.executeBlocking(src::read).onComplete(ar -> {
            reading = false;
            if (ar.succeeded()) {
              if (readFailing) {
                log.info("sampling works again");
                readFailing = false;
              }
              onReadings(t, ar.result());
            } else if (!readFailing) {
              readFailing = true;
              log.warn("cannot read {} (logged once until it works again): {}", what(), ar.cause().toString());
            }
          });
    }
    refreshPartitions();
    if (processes != null) {
      processes.tick();
    }
  }

  /** What the source reads, for a log line: the procfs path, or OSHI. */
  private String what() {
    return source != null && source.name().equals("oshi") ? "the node through OSHI" : config.procfs().toString();
  }

  private void onReadings(long t, SampleSource.Reading r) {
    CpuMath.Interval interval = CpuMath.between(prevStat, r.stat());
    prevStat = r.stat();
    double percent = interval.total().busy();
    if (lastSampleT > 0 && t - lastSampleT > gapThresholdMs) {
      log.warn("sampling stalled for {} ms; marking a gap", t - lastSampleT);
      history.add(Point.gap(lastSampleT + 1));
      history.add(Point.gap(t - 1));
    }
    avg1m.add(t, percent);
    Double avg = avg1m.at(t);
    latest = SampleJson.of(t, percent, avg, interval, r, partitions, source.cpuModes());
    samples++;
    lastSampleT = t;
    history.add(new Point(t, SampleJson.round(percent), avg == null ? null : SampleJson.round(avg)));
    vertx.eventBus().publish(Sample.ADDRESS, latest);
  }

  private void refreshPartitions() {
    if (partitionsReading || source == null) {
      return;
    }
    partitionsReading = true;
    SampleSource src = source;
    fsExecutor.executeBlocking(src::partitions).onComplete(ar -> {
          partitionsReading = false;
          if (ar.succeeded()) {
            partitions = ar.result();
          } else {
            log.debug("partitions: {}", ar.cause().toString());
          }
        });
  }

  // ---- history ----

  private void onHistory(Message<JsonObject> msg) {
    JsonObject body = msg.body() == null ? new JsonObject() : msg.body();
    long window = historyMs;
    Object raw = body.getValue("windowMs");
    if (raw != null) {
      if (!(raw instanceof Number n) || n.doubleValue() != Math.floor(n.doubleValue()) || n.longValue() <= 0) {
        msg.fail(400, error("windowMs must be a positive whole number of milliseconds", raw));
        return;
      }
      window = Math.min(n.longValue(), historyMs);
    }
    history.window(window).onSuccess(answer -> msg.reply(pointsJson(answer)));
  }

  private static JsonObject pointsJson(Downsample.Answer answer) {
    JsonArray arr = new JsonArray();
    answer.points().forEach(p -> arr.add(p.toJson()));
    JsonObject out = new JsonObject().put("points", arr);
    return answer.stepMs() > 0 ? out.put("stepMs", answer.stepMs()) : out;
  }

  // ---- processes ----

  private void onProcesses(Message<JsonObject> msg) {
    JsonObject body = msg.body() == null ? new JsonObject() : msg.body();
    Object raw = body.getValue("top");
    int n = 10;
    if (raw != null) {
      if (!(raw instanceof Number num) || num.doubleValue() != Math.floor(num.doubleValue())
          || num.longValue() < 1 || num.longValue() > TopProcesses.MAX_TOP) {
        msg.fail(400, error("top must be a whole number from 1 to " + TopProcesses.MAX_TOP, raw));
        return;
      }
      n = num.intValue();
    }
    if (processes == null) {
      msg.fail(503, error("processes not ready", "the sampler is starting"));
      return;
    }
    processes.request(msg, n);
  }

  // ---- requests ----

  private void onLatest(Message<JsonObject> msg) {
    if (latest == null) {
      msg.fail(503, error("no sample yet", "the first sample comes one --sample-interval after start"));
    } else {
      msg.reply(latest);
    }
  }

  private void onHost(Message<JsonObject> msg) {
    if (host == null) {
      msg.fail(503, error("host facts not read yet", "the sampler is starting"));
    } else {
      msg.reply(host.toJson(clock.millis()));
    }
  }

  private JsonObject health() {
    boolean sampled = latest != null;
    long sinceLast = clock.millis() - lastSampleT;
    // a sampler that has stopped sampling cannot serve what /readyz promises, whatever it had before
    boolean stalled = sampled && sinceLast > stallMs;
    String lastError = stalled ? "no sample for " + sinceLast / 1000 + " s (every " + intervalMs + " ms expected)"
        : history == null ? null : history.lastError();
    boolean ready = sampled && !stalled;
    String state = lastError != null ? "degraded" : ready ? "up" : "starting";
    long points = history == null ? 0 : history.points();
    JsonArray absent = new JsonArray();
    if (source != null) {
      if (latest != null && !latest.getJsonObject("cpu").containsKey("load")) {
        absent.add("load");
      }
      Sample.CPU_MODES.stream().filter(m -> !source.cpuModes().contains(m)).forEach(absent::add);
    }
    return new JsonObject().put("state", state).put("ready", ready).put("source", source == null ? null : source.name())
        .put("absent", absent).put("samples", samples)
        .put("lastSampleAt", sampled ? Instant.ofEpochMilli(lastSampleT).toString() : null)
        .put("historyPoints", points).put("lastError", lastError);
  }

  static String error(String error, Object details) {
    return new JsonObject().put("error", error).put("details", details).encode();
  }
}
