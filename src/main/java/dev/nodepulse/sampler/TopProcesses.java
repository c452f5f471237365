package dev.nodepulse.sampler;

import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The busiest processes, scanned only while someone asks: a request starts a run of scans (one per tick for
 * {@code lingerMs} after the last request) on a thread of its own; the first request of a run is answered after
 * two scans, the ranking being the CPU between them. Confined to the sampler's event loop.
 */
final class TopProcesses {
  static final int MAX_TOP = 100;
  private static final Logger log = LoggerFactory.getLogger(TopProcesses.class);

  private final WorkerExecutor executor;
  private final SampleSource source;
  private final long bootTimeSeconds;
  private final long intervalMs;
  private final long lingerMs;
  private final AtomicInteger scans;

  private long lastRequestNanos = Long.MIN_VALUE / 2;
  private boolean scanning;
  private Processes.Scan lastScan;
  private List<Processes.Top> top;
  private long topAtNanos;
  /** When the current run of requests began: scans before it are too old to be a baseline. */
  private long sessionStartNanos;
  /** Requests waiting for this run's first ranking; answered (or failed) by the next scan. */
  private final List<Waiter> waiters = new ArrayList<>();

  private record Waiter(Message<JsonObject> msg, int top) {}

  TopProcesses(WorkerExecutor executor, SampleSource source, long bootTimeSeconds, long intervalMs, long lingerMs,
      AtomicInteger scans) {
    this.executor = executor;
    this.source = source;
    this.bootTimeSeconds = bootTimeSeconds;
    this.intervalMs = intervalMs;
    this.lingerMs = lingerMs;
    this.scans = scans;
  }

  /** Answers {@code msg} with the {@code n} busiest processes, now or after this run's first two scans. */
  void request(Message<JsonObject> msg, int n) {
    long now = System.nanoTime();
    if (!wanted(now)) {
      sessionStartNanos = now; // first request after idle: earlier scans and rankings are stale
    }
    lastRequestNanos = now;
    if (top != null && topAtNanos >= sessionStartNanos) {
      answer(new Waiter(msg, n));
      return;
    }
    waiters.add(new Waiter(msg, n));
    scan(true);
  }

  /** At each sampler tick: scans while someone asked within the linger time. */
  void tick() {
    if (wanted(System.nanoTime())) {
      scan(false);
    }
  }

  private void answer(Waiter w) {
    w.msg().reply(Processes.toJson(top.subList(0, Math.min(w.top(), top.size()))));
  }

  /** Whether someone asked for processes within the linger time. */
  private boolean wanted(long nowNanos) {
    return nowNanos - lastRequestNanos < TimeUnit.MILLISECONDS.toNanos(lingerMs);
  }

  /** Scans the processes off the event loop; two scans of the same run of requests give the ranking and answer waiters. */
  private void scan(boolean baseline) {
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
    executor.executeBlocking(() -> {
      scans.incrementAndGet();
      return source.processes(bootTimeSeconds, System.nanoTime());
    }).onComplete(ar -> {
      scanning = false;
      if (ar.failed()) {
        log.warn("process scan failed: {}", ar.cause().toString());
        // nobody waits forever (nor piles up here) while scans fail
        String failure = SamplerVerticle.error("process scan failed", String.valueOf(ar.cause().getMessage()));
        List<Waiter> waiting = List.copyOf(waiters);
        waiters.clear();
        waiting.forEach(w -> w.msg().fail(503, failure));
        return;
      }
      Processes.Scan scan = ar.result();
      if (lastScan != null && lastScan.atNanos() >= sessionStartNanos) {
        top = Processes.top(lastScan, scan, MAX_TOP);
        topAtNanos = scan.atNanos();
        List<Waiter> waiting = List.copyOf(waiters);
        waiters.clear();
        waiting.forEach(this::answer);
      }
      lastScan = scan;
    });
  }
}
