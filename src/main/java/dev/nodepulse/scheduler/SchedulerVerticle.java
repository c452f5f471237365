package dev.nodepulse.scheduler;

import dev.nodepulse.config.Config;
import dev.nodepulse.config.Durations;
import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.Progress;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.Schedule;
import dev.nodepulse.tasks.model.Target;
import dev.nodepulse.tasks.model.TaskCodec;
import dev.nodepulse.tasks.model.TaskMetadata;
import dev.nodepulse.tasks.model.TaskStatus;
import dev.nodepulse.tasks.model.TaskStatus.Phase;
import dev.nodepulse.tasks.model.TaskValidationException;
import dev.nodepulse.tasks.target.Execution;
import dev.nodepulse.tasks.target.Targets;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task table, timers for due runs, bounded concurrent execution, retries, persistence and status.
 *
 * <p>Each task has at most one Vert.x timer, set for its next due time (no polling). When it fires, the run
 * waits for a slot of its target type ({@code --max-concurrent-runs} per type, FIFO). Lateness is the actual
 * start minus the due time. A {@code startingDeadline} turns a run later than that into a MISSED run; for
 * recurring tasks, occurrences missed while the agent was down collapse into the latest one. Failed attempts
 * (FAILED, TIMEOUT) are retried {@code retry.limit} times after backoff, 2×backoff, 4×backoff... An attempt
 * that outlives its target's timeout (compute: {@code --max-compute-time}) is cancelled and counts as TIMEOUT.
 * A recurring task's next run is planned when its run finishes (runs of one task never overlap).
 *
 * <p>State is kept in {@code <dataDir>/tasks.db}: a finished one-shot task is not run again after a restart,
 * and a task whose spec changed while the agent was down starts a new schedule, keeping its history.
 */
public final class SchedulerVerticle extends VerticleBase {
  public static final String LIST = "nodepulse.tasks.list";
  public static final String GET = "nodepulse.tasks.get";
  public static final String UPSERT = "nodepulse.tasks.upsert";
  public static final String REMOVE = "nodepulse.tasks.remove";
  /** A source has declared everything it has: stored tasks of that source it did not declare are forgotten. */
  public static final String SYNCED = "nodepulse.tasks.synced";
  public static final String CHANGED = "nodepulse.tasks.changed";
  public static final String RUN = "nodepulse.tasks.run";
  public static final String HEALTH = "nodepulse.health.scheduler";
  /** The source name of REST-posted tasks: the scheduler restores them itself after a restart. */
  public static final String REST_SOURCE = "rest";

  private static final Logger LOG = LoggerFactory.getLogger(SchedulerVerticle.class);
  private static final long PROGRESS_EVERY_MS = 250;
  private static final long FLUSH_EVERY_MS = 200;
  private static final Duration TIMEOUT_GRACE = Duration.ofMillis(200);

  private final Config config;
  private final Clock clock;
  private final Function<String, String> env;
  private Runner runner;
  private Targets targets;

  private final Map<String, TaskEntry> table = new HashMap<>();
  private final Map<String, String> owners = new HashMap<>(); // source + "\u0000" + sourceKey -> task key
  private final Map<String, TaskStore.Row> stored = new HashMap<>(); // persisted, not yet claimed by a source
  private final Map<String, ArrayDeque<Queued>> queues = new HashMap<>();
  private final Map<String, Integer> inFlight = new HashMap<>();
  private final Set<String> dirty = new LinkedHashSet<>();
  private final Set<String> deleted = new LinkedHashSet<>();
  private TaskStore store;
  private WorkerExecutor dbWorker;
  private Context context;
  private boolean flushing;
  private volatile boolean ready;
  private volatile String lastError;

  private record Queued(TaskEntry entry, int epoch, Instant due, boolean isRetry) {}

  public SchedulerVerticle(Config config) {
    this(config, null, Clock.systemUTC(), System::getenv);
  }

  /** For tests: a stand-in runner (null: the real targets), a clock, and the environment for header refs. */
  SchedulerVerticle(Config config, Runner runner, Clock clock, Function<String, String> env) {
    this.config = config;
    this.runner = runner;
    this.clock = clock;
    this.env = env;
  }

  @Override
  public Future<?> start() {
    context = vertx.getOrCreateContext();
    if (runner == null) {
      targets = new Targets(vertx, config);
      runner = targets::start;
    }
    var bus = vertx.eventBus();
    bus.consumer(HEALTH, this::health);
    dbWorker = vertx.createSharedWorkerExecutor("nodepulse-tasks-db-" + System.identityHashCode(this), 1);
    return dbWorker.executeBlocking(() -> {
      TaskStore s = new TaskStore(config.dataDir());
      return Map.entry(s, s.loadAll());
    }).recover(err -> {
      // like the sampler: an unusable data dir must not stop the agent; tasks still run, unpersisted
      lastError = "tasks.db unusable, task state is not kept across restarts: " + err.getMessage();
      LOG.error(lastError);
      return Future.succeededFuture(null);
    }).map(loaded -> {
      if (loaded != null) {
        store = loaded.getKey();
        for (TaskStore.Row row : loaded.getValue()) {
          stored.put(row.key(), row);
        }
      }
      restoreRestTasks();
      bus.consumer(LIST, this::list);
      bus.consumer(GET, this::get);
      bus.<JsonObject>consumer(UPSERT, this::upsert);
      bus.<JsonObject>consumer(REMOVE, this::remove);
      bus.<JsonObject>consumer(SYNCED, this::synced);
      vertx.setPeriodic(FLUSH_EVERY_MS, id -> flush());
      ready = true;
      LOG.info("scheduler ready: {} stored tasks in {}", stored.size() + table.size(),
          config.dataDir().resolve("tasks.db"));
      return null;
    });
  }

  @Override
  public Future<?> stop() {
    for (TaskEntry e : table.values()) {
      if (e.execution != null) {
        e.execution.cancel();
      }
    }
    if (targets != null) {
      targets.close();
    }
    if (store == null) {
      return Future.succeededFuture();
    }
    List<TaskStore.Row> rows = snapshot();
    List<String> gone = new ArrayList<>(deleted);
    return dbWorker.executeBlocking(() -> {
      store.write(rows, gone);
      store.close();
      return null;
    }).eventually(() -> dbWorker.close());
  }

  // ------------------------------------------------------------------ bus handlers

  private void health(Message<Object> msg) {
    int running = 0;
    for (TaskEntry e : table.values()) {
      running += e.running() ? 1 : 0;
    }
    JsonObject body = new JsonObject().put("state", ready ? (lastError == null ? "up" : "degraded") : "starting")
        .put("ready", ready).put("tasks", table.size()).put("running", running);
    body.put("lastError", lastError);
    msg.reply(body);
  }

  private void list(Message<Object> msg) {
    JsonArray items = new JsonArray();
    new TreeMap<>(table).values().forEach(e -> items.add(json(e)));
    msg.reply(new JsonObject().put("items", items));
  }

  private void get(Message<Object> msg) {
    JsonObject body = msg.body() instanceof JsonObject j ? j : new JsonObject();
    String key = body.getString("namespace", "default") + "/" + body.getString("name", "");
    TaskEntry e = table.get(key);
    if (e == null) {
      msg.fail(404, new JsonObject().put("error", "task " + key + " not found").encode());
    } else {
      msg.reply(json(e));
    }
  }

  private void upsert(Message<JsonObject> msg) {
    JsonObject body = msg.body();
    String source = body.getString("source", "unknown");
    String sourceKey = body.getString("key", "");
    JsonObject taskJson = body.getJsonObject("task");
    JsonObject error = body.getJsonObject("error");
    try {
      TaskEntry e;
      boolean created;
      if (taskJson != null) {
        DelayedTask task = TaskCodec.parse(taskJson);
        String conflict = conflict(task.key(), source, sourceKey);
        if (conflict != null) {
          msg.fail(409, new JsonObject().put("error", conflict).encode());
          return;
        }
        created = !table.containsKey(task.key());
        e = apply(task, source, sourceKey);
      } else if (error != null) {
        String key = error.getString("namespace", "default") + "/" + error.getString("name", "invalid");
        String conflict = conflict(key, source, sourceKey);
        if (conflict != null) {
          msg.fail(409, new JsonObject().put("error", conflict + "; and it is invalid: "
              + error.getString("message")).encode());
          return;
        }
        created = !table.containsKey(key);
        e = applyInvalid(key, error, source, sourceKey);
      } else {
        msg.fail(400, new JsonObject().put("error", "upsert needs task or error").encode());
        return;
      }
      msg.reply(new JsonObject().put("created", created).put("task", json(e)));
    } catch (TaskValidationException ex) {
      msg.fail(400, TaskCodec.errorJson(null, ex.errors()).encode());
    }
  }

  private void remove(Message<JsonObject> msg) {
    String source = msg.body().getString("source", "unknown");
    String sourceKey = msg.body().getString("key", "");
    String key = owners.get(owner(source, sourceKey));
    if (key == null) {
      TaskEntry other = table.get(sourceKey);
      if (other != null) {
        msg.fail(409, new JsonObject().put("error", "task " + sourceKey + " is declared by " + other.source + " "
            + other.sourceKey + "; remove it there").encode());
      } else {
        msg.fail(404, new JsonObject().put("error", "task " + sourceKey + " not found").encode());
      }
      return;
    }
    owners.remove(owner(source, sourceKey));
    drop(key);
    msg.reply(new JsonObject());
  }

  /** Stored state of tasks the source removed while the agent was down: deleted, so a re-added task starts afresh. */
  private void synced(Message<JsonObject> msg) {
    String source = msg.body().getString("source", "");
    List<String> forgotten = new ArrayList<>();
    stored.values().removeIf(row -> {
      boolean gone = row.source().equals(source) && !table.containsKey(row.key());
      if (gone) {
        forgotten.add(row.key());
      }
      return gone;
    });
    deleted.addAll(forgotten);
    if (!forgotten.isEmpty()) {
      LOG.info("source {} no longer declares {}: their stored state is deleted", source, forgotten);
    }
    msg.reply(new JsonObject().put("forgotten", forgotten.size()));
  }

  private String conflict(String key, String source, String sourceKey) {
    TaskEntry existing = table.get(key);
    if (existing != null && !(existing.source.equals(source) && existing.sourceKey.equals(sourceKey))) {
      return "task " + key + " is already declared by " + existing.source + " " + existing.sourceKey;
    }
    return null;
  }

  private static String owner(String source, String sourceKey) {
    return source + "\u0000" + sourceKey;
  }

  // ------------------------------------------------------------------ table changes

  /** Adds or replaces a valid task from a source; returns its entry. */
  private TaskEntry apply(DelayedTask task, String source, String sourceKey) {
    Instant now = now();
    dropOldKeyOfOwner(source, sourceKey, task.key());
    String hash = TaskCodec.specHash(task.spec());
    TaskEntry e = table.get(task.key());
    if (e == null) {
      e = new TaskEntry(task.key());
      e.source = source;
      e.sourceKey = sourceKey;
      e.metadata = task.metadata();
      e.spec = task.spec();
      e.specHash = hash;
      e.generation = task.metadata().generation();
      TaskStore.Row row = stored.remove(task.key());
      if (row != null) {
        keepHistory(e, row);
        if (hash.equals(row.specHash())) {
          e.firstSeen = Instant.ofEpochMilli(row.firstSeen());
          e.nextRunAt = row.nextRunAt() == null ? null : Instant.ofEpochMilli(row.nextRunAt());
          e.done = row.done();
          e.phase = phaseOf(row.phase());
        } else {
          e.generation++;
          e.firstSeen = now;
          LOG.info("task {} changed while the agent was down: new schedule (generation {})", e.key, e.generation);
        }
      } else {
        e.firstSeen = now;
      }
      e.changedAt = now;
      table.put(e.key, e);
      owners.put(owner(source, sourceKey), e.key);
      arm(e, true);
    } else {
      e.metadata = task.metadata();
      if (e.spec != null && hash.equals(e.specHash)) {
        dirty.add(e.key); // labels or owner details may have changed
        return e;
      }
      stopEntry(e);
      e.spec = task.spec();
      e.specHash = hash;
      e.invalid = null;
      e.generation++;
      e.firstSeen = now;
      e.nextRunAt = null;
      e.done = false;
      e.progress = null;
      e.phase = Phase.Pending;
      e.changedAt = now;
      arm(e, false);
    }
    dirty.add(e.key);
    publishChanged(e);
    return e;
  }

  /** A task a source could not read: a Failed entry whose condition says why (file and field). */
  private TaskEntry applyInvalid(String key, JsonObject error, String source, String sourceKey) {
    Instant now = now();
    dropOldKeyOfOwner(source, sourceKey, key);
    TaskEntry e = table.get(key);
    if (e == null) {
      e = new TaskEntry(key);
      e.source = source;
      e.sourceKey = sourceKey;
      e.generation = 1;
      e.firstSeen = now;
      TaskStore.Row row = stored.get(key);
      if (row != null) {
        keepHistory(e, row);
      }
      table.put(key, e);
      owners.put(owner(source, sourceKey), key);
    } else {
      stopEntry(e);
    }
    int slash = key.indexOf('/');
    e.metadata = new TaskMetadata(key.substring(slash + 1), key.substring(0, slash), e.generation, null, null,
        Map.of());
    e.spec = null;
    e.specHash = null;
    e.invalid = error.getString("message", "invalid task");
    e.phase = Phase.Failed;
    e.nextRunAt = null;
    e.progress = null;
    e.changedAt = now;
    publishChanged(e);
    return e;
  }

  private void dropOldKeyOfOwner(String source, String sourceKey, String newKey) {
    String old = owners.get(owner(source, sourceKey));
    if (old != null && !old.equals(newKey)) {
      owners.remove(owner(source, sourceKey));
      drop(old);
    }
  }

  /** Removes a task: its timer and run stop, its stored row is deleted, the page hears it is gone. */
  private void drop(String key) {
    TaskEntry e = table.remove(key);
    if (e != null) {
      stopEntry(e);
      dirty.remove(key);
      deleted.add(key);
      vertx.eventBus().publish(CHANGED, json(e).put("deleted", true));
    }
  }

  /** Cancels the entry's timer and any attempt in flight; queued runs and late results become stale. */
  private void stopEntry(TaskEntry e) {
    e.epoch++;
    e.retry = 0;
    if (e.timerId >= 0) {
      vertx.cancelTimer(e.timerId);
      e.timerId = -1;
    }
    if (e.execution != null) {
      e.execution.cancel();
      e.execution = null; // its late result belongs to the old epoch and is not recorded
    }
  }

  private void restoreRestTasks() {
    for (TaskStore.Row row : new ArrayList<>(stored.values())) {
      if (!REST_SOURCE.equals(row.source()) || row.object() == null) {
        continue;
      }
      try {
        apply(TaskCodec.parse(new JsonObject(row.object())), row.source(), row.sourceKey());
      } catch (TaskValidationException | RuntimeException ex) {
        // e.g. posted before a bound was tightened: shown as a Failed task (to fix or delete), not dropped unseen
        LOG.warn("stored task {} cannot be read back: {}", row.key(), ex.getMessage());
        applyInvalid(row.key(), new JsonObject().put("message", "posted task cannot be read back: " + ex.getMessage()),
            row.source(), row.sourceKey());
      }
    }
  }

  // ------------------------------------------------------------------ timing

  /** Sets the entry's timer for its next due run (or marks it finished). {@code restoring}: stored state is used. */
  private void arm(TaskEntry e, boolean restoring) {
    if (e.spec == null) {
      return;
    }
    Instant now = now();
    if (e.done) {
      e.nextRunAt = null;
      if (e.phase != Phase.Succeeded && e.phase != Phase.Failed) {
        e.phase = e.lastRun != null && e.lastRun.outcome() == RunResult.Outcome.SUCCEEDED ? Phase.Succeeded
            : Phase.Failed;
      }
      return;
    }
    // a run interrupted by a stop has no nextRunAt: it counts from the first due time, then collapses like the rest
    Instant due = e.nextRunAt == null ? firstDue(e) : e.nextRunAt;
    if (restoring && due != null && due.isBefore(now)) {
      due = latestMissed(e.spec.timing(), due, now);
    }
    if (due == null) {
      e.phase = Phase.Failed;
      e.invalid = "the schedule never fires again";
      return;
    }
    schedule(e, due, false);
  }

  private void schedule(TaskEntry e, Instant due, boolean isRetry) {
    e.nextRunAt = due;
    e.phase = Phase.Scheduled;
    long delay = Math.max(1, Duration.between(now(), due).toMillis());
    int epoch = e.epoch;
    e.timerId = vertx.setTimer(delay, id -> {
      if (e.epoch == epoch && e.timerId == id) {
        e.timerId = -1;
        fire(e, due, isRetry);
      }
    });
    dirty.add(e.key);
  }

  private Instant firstDue(TaskEntry e) {
    return switch (e.spec.timing()) {
      case Schedule.Delay d -> e.firstSeen.plus(d.delay());
      case Schedule.At a -> a.at();
      case Schedule.Every ev -> e.firstSeen.plus(ev.every());
      case Schedule.Cron c -> c.next(e.firstSeen).orElse(null);
    };
  }

  /** For a recurring task whose due time passed while the agent was down: the latest occurrence not after now. */
  private static Instant latestMissed(Schedule timing, Instant due, Instant now) {
    return switch (timing) {
      case Schedule.Delay d -> due;
      case Schedule.At a -> due;
      case Schedule.Every ev -> {
        long periods = Duration.between(due, now).toMillis() / ev.every().toMillis();
        yield due.plus(ev.every().multipliedBy(periods));
      }
      case Schedule.Cron c -> {
        Instant last = c.last(now).orElse(due);
        yield last.isAfter(due) ? last : due;
      }
    };
  }

  /** The next occurrence of a recurring task after the run due at {@code due}, strictly in the future. */
  private static Instant nextAfter(Schedule timing, Instant due, Instant now) {
    return switch (timing) {
      case Schedule.Delay d -> null;
      case Schedule.At a -> null;
      case Schedule.Every ev -> {
        Instant next = due.plus(ev.every());
        if (!next.isAfter(now)) {
          long periods = Duration.between(due, now).toMillis() / ev.every().toMillis() + 1;
          next = due.plus(ev.every().multipliedBy(periods));
        }
        yield next;
      }
      case Schedule.Cron c -> c.next(now.isAfter(due) ? now : due).orElse(null);
    };
  }

  // ------------------------------------------------------------------ runs

  private void fire(TaskEntry e, Instant due, boolean isRetry) {
    if (!isRetry) {
      e.retry = 0;
      e.occurrence = due;
    }
    String type = e.spec.target().type();
    queues.computeIfAbsent(type, t -> new ArrayDeque<>()).add(new Queued(e, e.epoch, due, isRetry));
    drain(type);
  }

  /** Starts queued runs while slots are free; a run that would start past its startingDeadline is MISSED. */
  private void drain(String type) {
    ArrayDeque<Queued> q = queues.get(type);
    while (q != null && !q.isEmpty() && inFlight.getOrDefault(type, 0) < config.maxConcurrentRuns()) {
      Queued next = q.poll();
      TaskEntry e = next.entry();
      if (e.epoch != next.epoch() || table.get(e.key) != e) {
        continue;
      }
      Instant now = now();
      Duration late = Duration.between(next.due(), now);
      if (!next.isRetry() && e.spec.startingDeadline() != null && late.compareTo(e.spec.startingDeadline()) > 0) {
        missed(e, next.due(), now, late);
        continue;
      }
      begin(e, next.due());
    }
  }

  private void missed(TaskEntry e, Instant due, Instant now, Duration late) {
    String error = "missed: due " + due + ", " + Durations.format(late) + " late is past the startingDeadline of "
        + Durations.format(e.spec.startingDeadline());
    RunResult r = RunResult.failure(RunResult.Outcome.MISSED, error);
    publishRun(e, e.spec.target().type(), r, Duration.ZERO, late);
    e.lastRun = new TaskStatus.LastRun(null, now, 0, config.nodeName(), r.outcome(), null, 0, null, error);
    finishRun(e, due, now, r);
  }

  private void begin(TaskEntry e, Instant due) {
    Instant started = now();
    Duration late = Duration.between(due, started);
    String type = e.spec.target().type();
    inFlight.merge(type, 1, Integer::sum);
    e.phase = Phase.Running;
    e.attempts++;
    e.nextRunAt = null;
    e.progress = e.spec.target() instanceof Target.Compute ? new Progress(0, "") : null;
    dirty.add(e.key);
    publishChanged(e);
    int epoch = e.epoch;
    boolean[] over = new boolean[1];
    Map<String, String> headers;
    try {
      headers = resolveHeaders(e.spec.target());
    } catch (IllegalStateException ex) {
      end(e, epoch, type, started, late, RunResult.failure(RunResult.Outcome.FAILED, ex.getMessage()), over);
      return;
    }
    Execution ex;
    try {
      ex = runner.start(e.spec.target(), headers, p -> context.runOnContext(v -> progress(e, epoch, p)));
    } catch (RuntimeException err) {
      end(e, epoch, type, started, late, RunResult.failure(RunResult.Outcome.FAILED, "cannot start: " + err), over);
      return;
    }
    e.execution = ex;
    Duration timeout = timeoutOf(e.spec.target());
    long guard = vertx.setTimer(timeout.plus(TIMEOUT_GRACE).toMillis(), id -> {
      if (!over[0]) {
        ex.cancel();
        end(e, epoch, type, started, late, RunResult.failure(RunResult.Outcome.TIMEOUT,
            "timed out after " + Durations.format(timeout) + "; cancelled"), over);
      }
    });
    ex.result().onComplete(ar -> context.runOnContext(v -> {
      vertx.cancelTimer(guard);
      RunResult r = ar.succeeded() && ar.result() != null ? ar.result()
          : RunResult.failure(RunResult.Outcome.FAILED, "target failed: "
              + (ar.cause() == null ? "no result" : ar.cause().getMessage()));
      end(e, epoch, type, started, late, r, over);
    }));
  }

  private Duration timeoutOf(Target t) {
    return switch (t) {
      case Target.Http h -> h.timeout();
      case Target.Tcp c -> c.timeout();
      case Target.Pipe p -> p.timeout();
      case Target.Compute c -> config.maxComputeTime();
    };
  }

  private Map<String, String> resolveHeaders(Target t) {
    if (!(t instanceof Target.Http h)) {
      return Map.of();
    }
    Map<String, String> out = new LinkedHashMap<>();
    h.headers().forEach((name, v) -> out.put(name, switch (v) {
      case Target.Plain p -> p.value();
      case Target.EnvRef r -> {
        String value = env.apply(r.name());
        if (value == null) {
          throw new IllegalStateException("header " + name + ": environment variable " + r.name() + " is not set");
        }
        yield value;
      }
      case Target.SecretKeyRef s -> {
        if (config.mode() == Config.Mode.STANDALONE) {
          throw new IllegalStateException("header " + name + ": secretKeyRef " + s.name() + "/" + s.key()
              + " needs --mode kubernetes; use valueFrom.env in standalone mode");
        }
        throw new IllegalStateException("header " + name + ": secretKeyRef is not supported yet");
      }
    }));
    return out;
  }

  /** One attempt ended (result, timeout or failure to start): release its slot, then retry or finish the run. */
  private void end(TaskEntry e, int epoch, String type, Instant started, Duration late, RunResult r, boolean[] over) {
    if (over[0]) {
      return;
    }
    over[0] = true;
    Instant finished = now();
    Duration took = Duration.between(started, finished);
    if (e.epoch == epoch) {
      e.execution = null;
      e.progress = null; // the result is in lastRun
    }
    inFlight.merge(type, -1, Integer::sum);
    publishRun(e, type, r, took, late);
    drain(type);
    if (e.epoch != epoch || table.get(e.key) != e) {
      return; // changed or removed while it ran
    }
    e.lastRun = new TaskStatus.LastRun(started, finished, took.toMillis(), config.nodeName(), r.outcome(),
        r.httpStatus(), r.bytes(), r.result(), r.error());
    boolean retryable = r.outcome() == RunResult.Outcome.FAILED || r.outcome() == RunResult.Outcome.TIMEOUT;
    if (retryable && e.retry < e.spec.retry().limit()) {
      e.retry++;
      Duration backoff = e.spec.retry().backoff().multipliedBy(1L << (e.retry - 1));
      schedule(e, finished.plus(backoff), true);
      publishChanged(e);
      return;
    }
    finishRun(e, e.occurrence, finished, r);
  }

  private void finishRun(TaskEntry e, Instant due, Instant now, RunResult r) {
    e.runs++;
    e.retry = 0;
    if (e.spec.timing().oneShot()) {
      e.done = true;
      e.nextRunAt = null;
      e.phase = r.succeeded() ? Phase.Succeeded : Phase.Failed;
    } else {
      Instant next = nextAfter(e.spec.timing(), due, now);
      if (next == null) {
        e.done = true;
        e.phase = r.succeeded() ? Phase.Succeeded : Phase.Failed;
      } else {
        schedule(e, next, false);
      }
    }
    e.changedAt = now;
    dirty.add(e.key);
    publishChanged(e);
  }

  private void progress(TaskEntry e, int epoch, Progress p) {
    if (e.epoch != epoch || e.execution == null) {
      return;
    }
    e.progress = p;
    long now = System.currentTimeMillis();
    long wait = e.progressPublishedAt + PROGRESS_EVERY_MS - now;
    if (wait <= 0) {
      e.progressPublishedAt = now;
      publishChanged(e);
    } else if (!e.progressTimer) {
      e.progressTimer = true;
      vertx.setTimer(wait, id -> {
        e.progressTimer = false;
        if (e.epoch == epoch && e.execution != null) {
          e.progressPublishedAt = System.currentTimeMillis();
          publishChanged(e);
        }
      });
    }
  }

  /** The clock's time in whole milliseconds, as persisted (so times read the same after a restart). */
  private Instant now() {
    return clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
  }

  // ------------------------------------------------------------------ output

  private JsonObject json(TaskEntry e) {
    return TaskCodec.toJson(e.task(config.nodeName()));
  }

  private void publishChanged(TaskEntry e) {
    vertx.eventBus().publish(CHANGED, json(e));
  }

  private void publishRun(TaskEntry e, String type, RunResult r, Duration took, Duration late) {
    vertx.eventBus().publish(RUN, new JsonObject()
        .put("namespace", e.metadata.namespace()).put("name", e.metadata.name())
        .put("target", type)
        .put("outcome", r.outcome().name().toLowerCase(java.util.Locale.ROOT))
        .put("durationSeconds", took.toNanos() / 1e9)
        .put("latenessSeconds", Math.max(0, late.toNanos()) / 1e9));
  }

  // ------------------------------------------------------------------ persistence

  private List<TaskStore.Row> snapshot() {
    List<TaskStore.Row> rows = new ArrayList<>();
    for (String key : dirty) {
      TaskEntry e = table.get(key);
      if (e == null || e.spec == null) {
        continue;
      }
      String object = REST_SOURCE.equals(e.source)
          ? TaskCodec.toObjectJson(new DelayedTask(e.metadata, e.spec, null)).encode() : null;
      rows.add(new TaskStore.Row(key, e.source, e.sourceKey, object, e.specHash, e.generation,
          e.firstSeen.toEpochMilli(), e.nextRunAt == null ? null : e.nextRunAt.toEpochMilli(), e.runs, e.attempts,
          e.phase.name(), e.lastRun == null ? null : TaskCodec.lastRunJson(e.lastRun).encode(), e.done));
    }
    dirty.clear();
    return rows;
  }

  private void flush() {
    if (store == null || flushing || (dirty.isEmpty() && deleted.isEmpty())) {
      return;
    }
    flushing = true;
    List<TaskStore.Row> rows = snapshot();
    List<String> gone = new ArrayList<>(deleted);
    deleted.clear();
    dbWorker.executeBlocking(() -> {
      store.write(rows, gone);
      return null;
    }).onComplete(ar -> {
      flushing = false;
      if (ar.failed()) {
        lastError = "cannot write tasks.db: " + ar.cause().getMessage();
        LOG.warn(lastError);
        // not written: try again at the next flush (what changed meanwhile is already marked)
        rows.forEach(row -> {
          if (table.containsKey(row.key())) {
            dirty.add(row.key());
          }
        });
        gone.forEach(key -> {
          if (!table.containsKey(key)) {
            deleted.add(key);
          }
        });
      } else {
        lastError = null;
      }
    });
  }

  /** What a stored task keeps whatever its spec now is: runs, attempts, last run and generation. */
  private static void keepHistory(TaskEntry e, TaskStore.Row row) {
    e.runs = row.runs();
    e.attempts = row.attempts();
    e.lastRun = lastRunOf(row.lastRun());
    e.generation = row.generation();
  }

  private static TaskStatus.LastRun lastRunOf(String json) {
    try {
      return json == null ? null : TaskCodec.lastRunFrom(new JsonObject(json));
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static Phase phaseOf(String s) {
    try {
      return Phase.valueOf(s);
    } catch (RuntimeException e) {
      return Phase.Pending;
    }
  }
}
