package dev.nodepulse.sampler;

import dev.nodepulse.config.Config;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sampler concern: samples the node once per {@code --sample-interval}, keeps the one-minute
 * average and the history (SQLite under {@code --data-dir}, gaps marked), and scans processes only
 * while someone asks. Addresses and bodies are described in docs/architecture.md.
 *
 * <p>All state lives on the event loop; /proc reads, statvfs, process scans and SQLite run on
 * worker threads.
 */
public final class SamplerVerticle extends VerticleBase {
  public static final String SAMPLE = "nodepulse.sampler.sample";
  public static final String LATEST = "nodepulse.sampler.latest";
  public static final String HOST = "nodepulse.sampler.host";
  public static final String PROCESSES = "nodepulse.sampler.processes";
  public static final String HISTORY = "nodepulse.sampler.history";
  public static final String HEALTH = "nodepulse.health.sampler";

  private static final Logger log = LoggerFactory.getLogger(SamplerVerticle.class);
  private static final long FLUSH_EVERY_MS = 5_000;
  /** While the disk stays full, the failure is logged again this often (the first time at once). */
  private static final long DISK_FULL_LOG_EVERY_MS = 10 * 60_000;
  private static final long FIRST_SAMPLE_MS = 250;
  private static final int MAX_MEMORY_POINTS = 200_000;
  private static final int MAX_TOP = 100;

  private final Config config;
  private final Clock clock;
  private final long intervalMs;
  private final long firstSampleMs;
  private final long historyMs;
  /** A step between samples longer than this is a gap (sampling stalled, or the agent was down). */
  private final long gapThresholdMs;
  /** Process scans done (tests check that none happen while nobody asks). */
  final AtomicInteger processScans = new AtomicInteger();
  /** How long processes are scanned at each tick after the last request (shorter in tests). */
  long processLingerMs = 30_000;

  private WorkerExecutor dbExecutor;
  private WorkerExecutor procExecutor;
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

  private HistoryStore store;
  private String lastError;
  private long storedPoints;
  private final ArrayDeque<Point> memory = new ArrayDeque<>();
  private List<Point> pending = new ArrayList<>();
  private List<Point> inFlight = List.of();
  /** When the history store last logged a full disk; 0 while it writes fine. */
  private long diskFullLoggedAt;

  private long lastProcessRequestNanos = Long.MIN_VALUE / 2;
  private boolean scanning;
  private Processes.Scan lastScan;
  private List<Processes.Top> top;
  private long topAtNanos;
  /** When the current run of requests began: scans before it are too old to be a baseline. */
  private long sessionStartNanos;
  /** Requests waiting for this run's first ranking; answered (or failed) by the next scan. */
  private final List<Waiter> processWaiters = new ArrayList<>();

  private record Waiter(Message<JsonObject> msg, int top) {}

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
  }

  @Override
  public Future<?> start() {
    dbExecutor = vertx.createSharedWorkerExecutor("nodepulse-sampler-db-" + System.identityHashCode(this), 1);
    procExecutor = vertx.createSharedWorkerExecutor("nodepulse-sampler-procs-" + System.identityHashCode(this), 1);
    var bus = vertx.eventBus();
    bus.<JsonObject>consumer(LATEST, this::onLatest);
    bus.<JsonObject>consumer(HOST, this::onHost);
    bus.<JsonObject>consumer(PROCESSES, this::onProcesses);
    bus.<JsonObject>consumer(HISTORY, this::onHistory);
    bus.<JsonObject>consumer(HEALTH, msg -> msg.reply(health()));

    long[] baselineAt = new long[1];
    Future<Void> proc = vertx.executeBlocking(() -> {
      ProcStat baseline = ProcStat.read(config.procfs());
      baselineAt[0] = System.nanoTime();
      HostFacts facts = HostFacts.read(config.procfs(), config.rootfs(), config.nodeName(), baseline.perCpu().size(),
          baseline.bootTimeSeconds());
      return new Object[] {baseline, facts};
    }).map(r -> {
      prevStat = (ProcStat) r[0];
      host = (HostFacts) r[1];
      return null;
    });
    Future<Void> db = dbExecutor.<Object[]>executeBlocking(() -> {
      HistoryStore s = HistoryStore.open(config.dataDir());
      try {
        // the last minute's points too, so the one-minute average goes on across a short restart
        return new Object[] {s, s.lastT(), s.count(), s.since(clock.millis() - OneMinuteAverage.WINDOW_MS)};
      } catch (Exception e) {
        s.close();
        throw e;
      }
    }).map(r -> {
      store = (HistoryStore) r[0];
      storedPoints = (Long) r[2];
      @SuppressWarnings("unchecked")
      List<Point> lastMinute = (List<Point>) r[3];
      for (Point p : lastMinute) {
        if (p.cpu() != null) {
          avg1m.add(p.t(), p.cpu());
        }
      }
      Long last = (Long) r[1];
      long now = clock.millis();
      if (last != null && now - last > gapThresholdMs) {
        log.info("history: agent was down from {} to {}; marking the gap", Instant.ofEpochMilli(last), Instant.ofEpochMilli(now));
        addPoint(Point.gap(last + 1));
        addPoint(Point.gap(now));
      } else if (last != null) {
        // down for a moment only: the first sample may still come too late after the last point
        lastSampleT = last;
      }
      return (Void) null;
    }).recover(err -> {
      degrade(err);
      return Future.succeededFuture();
    });
    return Future.all(proc, db).onFailure(err -> {
      if (store != null) {
        HistoryStore s = store;
        store = null;
        dbExecutor.executeBlocking(() -> {
          s.close();
          return null;
        });
      }
    }).onSuccess(ignored -> {
      refreshPartitions();
      // the first sample soon after start (CPU % over the time since the baseline read), so /readyz
      // and the figures answer within a fraction of a second rather than after a whole interval; counted
      // from the baseline read, so the time SQLite took to open (in parallel) is not waited twice
      long sinceBaselineMs = (System.nanoTime() - baselineAt[0]) / 1_000_000;
      long first = Math.max(1, Math.min(firstSampleMs, intervalMs) - sinceBaselineMs);
      tickTimer = vertx.setPeriodic(first, intervalMs, id -> tick());
      flushTimer = vertx.setPeriodic(FLUSH_EVERY_MS, id -> flush());
    });
  }

  @Override
  public Future<?> stop() {
    vertx.cancelTimer(tickTimer);
    vertx.cancelTimer(flushTimer);
    if (store == null) {
      return Future.succeededFuture();
    }
    List<Point> unwritten = new ArrayList<>(inFlight);
    unwritten.addAll(pending);
    pending = new ArrayList<>();
    HistoryStore s = store;
    store = null;
    return dbExecutor.executeBlocking(() -> {
      try (s) {
        s.write(unwritten);
      }
      return null;
    }).onFailure(err -> log.error("history: could not write the last {} points at stop: {}", unwritten.size(), err.toString()))
        .otherwiseEmpty();
  }

  // ---- sampling ----

  private record Readings(ProcStat stat, LoadAvg load, MemInfo mem) {}

  private void tick() {
    long t = clock.millis();
    if (!reading) {
      reading = true;
      Path procfs = config.procfs();
      vertx.executeBlocking(() -> new Readings(ProcStat.read(procfs), LoadAvg.read(procfs), MemInfo.read(procfs)), false)
          .onComplete(ar -> {
            reading = false;
            if (ar.succeeded()) {
              if (readFailing) {
                log.info("sampling works again");
                readFailing = false;
              }
              onReadings(t, ar.result());
            } else if (!readFailing) {
              readFailing = true;
              log.warn("cannot read {} (logged once until it works again): {}", procfs, ar.cause().toString());
            }
          });
    }
    refreshPartitions();
    if (processesWanted(System.nanoTime())) {
      scanProcesses(false);
    }
  }

  private void onReadings(long t, Readings r) {
    CpuMath.Interval interval = CpuMath.between(prevStat, r.stat());
    prevStat = r.stat();
    double percent = interval.total().busy();
    if (lastSampleT > 0 && t - lastSampleT > gapThresholdMs) {
      log.warn("sampling stalled for {} ms; marking a gap", t - lastSampleT);
      addPoint(Point.gap(lastSampleT + 1));
      addPoint(Point.gap(t - 1));
    }
    avg1m.add(t, percent);
    Double avg = avg1m.at(t);
    latest = sampleJson(t, percent, avg, interval, r);
    samples++;
    lastSampleT = t;
    addPoint(new Point(t, round(percent), avg == null ? null : round(avg)));
    vertx.eventBus().publish(SAMPLE, latest);
  }

  private JsonObject sampleJson(long t, double percent, Double avg, CpuMath.Interval interval, Readings r) {
    JsonArray perCore = new JsonArray();
    JsonArray perCoreTimes = new JsonArray();
    for (CpuTimes c : interval.perCpu()) {
      perCore.add(round(c.busy()));
      perCoreTimes.add(rounded(c).toJson());
    }
    JsonArray seconds = new JsonArray();
    for (CpuCounters c : r.stat().perCpu()) {
      seconds.add(new JsonObject().put("cpu", c.label()).put("user", c.user() / ProcStat.USER_HZ)
          .put("nice", c.nice() / ProcStat.USER_HZ).put("system", c.system() / ProcStat.USER_HZ)
          .put("idle", c.idle() / ProcStat.USER_HZ).put("iowait", c.iowait() / ProcStat.USER_HZ)
          .put("irq", c.irq() / ProcStat.USER_HZ).put("softirq", c.softirq() / ProcStat.USER_HZ)
          .put("steal", c.steal() / ProcStat.USER_HZ));
    }
    JsonArray parts = new JsonArray();
    partitions.forEach(p -> parts.add(p.toJson()));
    MemInfo m = r.mem();
    return new JsonObject()
        .put("t", t)
        .put("sampledAt", Instant.ofEpochMilli(t).toString())
        .put("cpu", new JsonObject().put("percent", round(percent)).put("perCore", perCore)
            .put("avg1m", avg == null ? null : round(avg))
            .put("load", new JsonObject().put("1m", r.load().one()).put("5m", r.load().five()).put("15m", r.load().fifteen())))
        .put("times", new JsonObject().put("total", rounded(interval.total()).toJson()).put("perCore", perCoreTimes))
        .put("seconds", seconds)
        .put("memory", new JsonObject().put("totalBytes", m.totalBytes()).put("availableBytes", m.availableBytes())
            .put("usedBytes", m.usedBytes()).put("swapTotalBytes", m.swapTotalBytes()).put("swapUsedBytes", m.swapUsedBytes()))
        .put("partitions", parts);
  }

  private void refreshPartitions() {
    if (partitionsReading) {
      return;
    }
    partitionsReading = true;
    vertx.executeBlocking(() -> Partitions.sizes(Partitions.readMounts(config.procfs()), config.rootfs()), false)
        .onComplete(ar -> {
          partitionsReading = false;
          if (ar.succeeded()) {
            partitions = ar.result();
          } else {
            log.debug("partitions: {}", ar.cause().toString());
          }
        });
  }

  // ---- history ----

  private void addPoint(Point p) {
    memory.addLast(p);
    long oldest = p.t() - historyMs;
    while (!memory.isEmpty() && (memory.peekFirst().t() < oldest || memory.size() > MAX_MEMORY_POINTS)) {
      memory.removeFirst();
    }
    if (store != null) {
      pending.add(p);
    }
  }

  private void flush() {
    if (store == null || !inFlight.isEmpty()) {
      return;
    }
    List<Point> batch = pending;
    pending = new ArrayList<>();
    inFlight = batch;
    HistoryStore s = store;
    long trimBefore = clock.millis() - historyMs;
    dbExecutor.executeBlocking(() -> {
      s.write(batch);
      s.trimBefore(trimBefore);
      return s.count();
    }).onComplete(ar -> {
      inFlight = List.of();
      if (ar.succeeded()) {
        storedPoints = ar.result();
        if (diskFullLoggedAt != 0) {
          diskFullLoggedAt = 0;
          lastError = null;
          log.info("history: {} has space again; writing the history again", config.dataDir().resolve(HistoryStore.FILE));
        }
      } else if (store == s && ar.cause() instanceof HistoryStore.DiskFull full) {
        diskFull(full, batch);
      } else if (store == s) {
        degrade(ar.cause());
      }
    });
  }

  /**
   * The disk is full: keep the store and the unwritten points (bounded by the history window, as in memory) and
   * retry at the next flush; say so once, then every {@link #DISK_FULL_LOG_EVERY_MS}.
   */
  private void diskFull(HistoryStore.DiskFull full, List<Point> batch) {
    List<Point> retry = new ArrayList<>(batch);
    retry.addAll(pending);
    long oldest = clock.millis() - historyMs;
    retry.removeIf(p -> p.t() < oldest);
    if (retry.size() > MAX_MEMORY_POINTS) {
      retry = new ArrayList<>(retry.subList(retry.size() - MAX_MEMORY_POINTS, retry.size()));
    }
    pending = retry;
    lastError = full.getMessage();
    long now = clock.millis();
    if (diskFullLoggedAt == 0 || now - diskFullLoggedAt >= DISK_FULL_LOG_EVERY_MS) {
      diskFullLoggedAt = now;
      log.error("history: {}; keeping {} points in memory and retrying every {} s (logged again in {} min if it lasts)",
          lastError, pending.size(), FLUSH_EVERY_MS / 1000, DISK_FULL_LOG_EVERY_MS / 60_000);
    }
  }

  /** The store failed: say so once, close it, and keep going on live figures and memory. */
  private void degrade(Throwable err) {
    String msg = err.getMessage() == null ? err.toString() : err.getMessage();
    lastError = "history store unusable (" + config.dataDir().resolve(HistoryStore.FILE) + "): " + msg;
    log.error("{}; serving live figures, history from memory only", lastError);
    HistoryStore s = store;
    store = null;
    pending = new ArrayList<>();
    if (s != null) {
      dbExecutor.executeBlocking(() -> {
        s.close();
        return null;
      });
    }
  }

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
    long since = clock.millis() - window;
    List<Point> live = new ArrayList<>();
    if (store == null) {
      memory.forEach(p -> {
        if (p.t() >= since) {
          live.add(p);
        }
      });
      msg.reply(pointsJson(live));
      return;
    }
    live.addAll(inFlight);
    live.addAll(pending);
    HistoryStore s = store;
    dbExecutor.executeBlocking(() -> s.since(since)).onComplete(ar -> {
      List<Point> out;
      if (ar.succeeded()) {
        out = new ArrayList<>(ar.result());
        long lastStored = out.isEmpty() ? Long.MIN_VALUE : out.get(out.size() - 1).t();
        for (Point p : live) {
          if (p.t() > lastStored && p.t() >= since) {
            out.add(p);
          }
        }
      } else {
        if (store == s) {
          degrade(ar.cause());
        }
        out = new ArrayList<>();
        for (Point p : memory) {
          if (p.t() >= since) {
            out.add(p);
          }
        }
      }
      msg.reply(pointsJson(out));
    });
  }

  private static JsonObject pointsJson(List<Point> points) {
    JsonArray arr = new JsonArray();
    points.forEach(p -> arr.add(p.toJson()));
    return new JsonObject().put("points", arr);
  }

  // ---- processes ----

  private void onProcesses(Message<JsonObject> msg) {
    JsonObject body = msg.body() == null ? new JsonObject() : msg.body();
    Object raw = body.getValue("top");
    int n = 10;
    if (raw != null) {
      if (!(raw instanceof Number num) || num.doubleValue() != Math.floor(num.doubleValue())
          || num.longValue() < 1 || num.longValue() > MAX_TOP) {
        msg.fail(400, error("top must be a whole number from 1 to " + MAX_TOP, raw));
        return;
      }
      n = num.intValue();
    }
    long now = System.nanoTime();
    if (!processesWanted(now)) {
      sessionStartNanos = now; // first request after idle: earlier scans and rankings are stale
    }
    lastProcessRequestNanos = now;
    if (top != null && topAtNanos >= sessionStartNanos) {
      answerProcesses(new Waiter(msg, n));
      return;
    }
    processWaiters.add(new Waiter(msg, n));
    scanProcesses(true);
  }

  private void answerProcesses(Waiter w) {
    w.msg().reply(Processes.toJson(top.subList(0, Math.min(w.top(), top.size()))));
  }

  /** Whether someone asked for processes within the linger time. */
  private boolean processesWanted(long nowNanos) {
    return nowNanos - lastProcessRequestNanos < TimeUnit.MILLISECONDS.toNanos(processLingerMs);
  }

  /** Scans /proc off the event loop; two scans of the same run of requests give the ranking and answer waiters. */
  private void scanProcesses(boolean baseline) {
    if (scanning) {
      return;
    }
    long now = System.nanoTime();
    if (!baseline && lastScan != null && now - lastScan.atNanos() < TimeUnit.MILLISECONDS.toNanos(intervalMs / 2)) {
      return;
    }
    if (baseline && lastScan != null && lastScan.atNanos() >= sessionStartNanos) {
      return; // this run of requests has its baseline already: the next tick answers
    }
    scanning = true;
    long bootTime = prevStat.bootTimeSeconds();
    procExecutor.executeBlocking(() -> {
      processScans.incrementAndGet();
      return Processes.scan(config.procfs(), config.rootfs(), bootTime, System.nanoTime());
    }).onComplete(ar -> {
      scanning = false;
      if (ar.failed()) {
        log.warn("process scan failed: {}", ar.cause().toString());
        // nobody waits forever (nor piles up here) while scans fail
        String failure = error("process scan failed", String.valueOf(ar.cause().getMessage()));
        List<Waiter> waiting = List.copyOf(processWaiters);
        processWaiters.clear();
        waiting.forEach(w -> w.msg().fail(503, failure));
        return;
      }
      Processes.Scan scan = ar.result();
      if (lastScan != null && lastScan.atNanos() >= sessionStartNanos) {
        top = Processes.top(lastScan, scan, MAX_TOP);
        topAtNanos = scan.atNanos();
        List<Waiter> waiting = List.copyOf(processWaiters);
        processWaiters.clear();
        waiting.forEach(this::answerProcesses);
      }
      lastScan = scan;
    });
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
    boolean ready = latest != null;
    String state = lastError != null ? "degraded" : ready ? "up" : "starting";
    long points = store != null ? storedPoints + pending.size() + inFlight.size() : memory.size();
    return new JsonObject().put("state", state).put("ready", ready).put("samples", samples)
        .put("lastSampleAt", ready ? Instant.ofEpochMilli(lastSampleT).toString() : null)
        .put("historyPoints", points).put("lastError", lastError);
  }

  private static String error(String error, Object details) {
    return new JsonObject().put("error", error).put("details", details).encode();
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }

  private static CpuTimes rounded(CpuTimes c) {
    return new CpuTimes(c.cpu(), round(c.user()), round(c.nice()), round(c.system()), round(c.idle()),
        round(c.iowait()), round(c.irq()), round(c.softirq()), round(c.steal()));
  }
}
