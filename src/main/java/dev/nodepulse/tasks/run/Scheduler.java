package dev.nodepulse.tasks.run;

import dev.nodepulse.config.Config;
import dev.nodepulse.config.Durations;
import dev.nodepulse.tasks.model.Declaration;
import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.Progress;
import dev.nodepulse.tasks.model.RunRequest;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.Target;
import dev.nodepulse.tasks.model.TaskJson;
import dev.nodepulse.tasks.model.TaskMetadata;
import dev.nodepulse.tasks.model.TaskReader;
import dev.nodepulse.tasks.model.TaskSpec;
import dev.nodepulse.tasks.model.TaskStatus;
import dev.nodepulse.tasks.model.TaskStatus.Phase;
import dev.nodepulse.tasks.model.TaskValidationException;
import dev.nodepulse.tasks.status.MissedBurst;
import dev.nodepulse.tasks.status.RunRecord;
import dev.nodepulse.tasks.status.StatusSink;
import dev.nodepulse.tasks.status.StatusStore;
import dev.nodepulse.tasks.status.TaskChange;
import dev.nodepulse.tasks.status.TaskRow;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The task table and the steps each run takes: <b>due</b> ({@link DuePlan}: {@link DueTimes} with the jitter; one
 * Vert.x timer per task) →
 * <b>claim</b> ({@link Claims}) → a concurrency slot ({@link RunQueue}) → <b>started</b> (recorded durably
 * before the target is called) → <b>secrets</b> ({@link SecretResolver}) → <b>run</b> ({@link GuardedRun}) →
 * <b>record</b> (every {@link StatusSink}), then a retry or the next due time. From the start of a run on, what
 * the task's state becomes (phase, counters, last run, retry, the next due time) is decided by {@link Timeline}, a
 * pure step function; this class feeds it the events and carries out what it asks (timers, sinks, tasks.db).
 *
 * <p>Identity: a task is {@code namespace/name}; it belongs to the first declaration ({@link Origin}) that
 * claimed it; another declaration of the same name is refused (409) with an error naming both.
 *
 * <p>Guarantees: runs of one task never overlap; a run is recorded as started before its target is called, so
 * after a crash (kill -9) a run that had started is not repeated: its outcome is unknown and it is shown as
 * FAILED saying so (at most once). A run whose start cannot be recorded (tasks.db not writable) is held, not
 * run, until it can be. Touched only on the event loop of the verticle that made it.
 */
public final class Scheduler {
  private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);

  private final Vertx vertx;
  private final Context context;
  private final Config config;
  private final Clock clock;
  private final Runner runner;
  private final Claims claims;
  private final SecretResolver secrets;
  private final StatusStore store;
  private final List<StatusSink> sinks;
  private final RunQueue queue;
  /** Due times before this passed while the agent was not running. */
  private final Instant startedAt;

  /** By key (namespace/name), sorted: a list is paged in this order ({@link #page}). */
  private final NavigableMap<String, TaskEntry> table = new TreeMap<>();
  /** The key each declaration (origin kind + id) holds. */
  private final Map<String, String> owners = new HashMap<>();
  /** Persisted state not (yet) held by a declaration: restored when its task is declared again. */
  private final Map<String, TaskRow> stored = new HashMap<>();

  public Scheduler(Vertx vertx, Config config, Clock clock, Runner runner, Claims claims, SecretResolver secrets,
      StatusStore store, List<StatusSink> sinks, List<TaskRow> rows) {
    this.vertx = vertx;
    this.context = vertx.getOrCreateContext();
    this.config = config;
    this.clock = clock;
    this.runner = runner;
    this.claims = claims;
    this.secrets = secrets;
    this.store = store;
    this.sinks = List.copyOf(sinks);
    this.queue = new RunQueue(config.maxConcurrentRuns());
    this.startedAt = now();
    for (TaskRow row : rows) {
      stored.put(row.key(), row);
    }
    store.rows(this::row, this::keys);
    restoreRestTasks();
  }

  // ------------------------------------------------------------------ queries

  /** One page of the tasks, by key: {@code remaining} counts those after it (0 on the last page). */
  public record Page(List<DelayedTask> items, int remaining) {}

  /**
   * At most {@code limit} tasks whose key (namespace/name) comes after {@code after} (null: from the first), in
   * key order: paging on the last key seen neither skips nor repeats a task when others come and go between pages.
   */
  public Page page(String after, int limit) {
    NavigableMap<String, TaskEntry> tail = after == null ? table : table.tailMap(after, false);
    List<DelayedTask> out = new ArrayList<>(Math.min(limit, tail.size()));
    for (TaskEntry e : tail.values()) {
      if (out.size() == limit) {
        break;
      }
      out.add(e.task(config.nodeName()));
    }
    return new Page(out, tail.size() - out.size());
  }

  public DelayedTask get(String namespace, String name) {
    TaskEntry e = table.get(namespace + "/" + name);
    if (e == null) {
      throw new Refusal(404, "task " + namespace + "/" + name + " not found");
    }
    return e.task(config.nodeName());
  }

  public int size() {
    return table.size();
  }

  public int running() {
    return (int) table.values().stream().filter(TaskEntry::running).count();
  }

  /** Runs waiting for tasks.db to be writable (their start cannot be recorded yet). */
  public int held() {
    return (int) table.values().stream().filter(e -> e.held != null).count();
  }

  /** Stops every attempt in flight (the agent stops); what is pending is written by the store's close. */
  public void stop() {
    for (TaskEntry e : table.values()) {
      if (e.run != null) {
        e.run.cancel();
      }
    }
  }

  /**
   * Run now ({@link RunNow}): one extra run of the task, claimed, run and recorded like a due one, due now; it waits
   * for a run in flight; the schedule goes on after it. False when the request id was handled already. Refusal 404
   * for an unknown task, 409 for one whose declaration is invalid, for a ConfigMap task, and for a DelayedTask unless
   * {@code fromAnnotation} (its annotation {@code nodepulse.dev/run-now}, which every agent sees: the extra run is
   * claimed in the cluster by its request id).
   */
  public boolean runNow(RunRequest r, boolean fromAnnotation) {
    TaskEntry e = table.get(r.key());
    if (e == null) {
      throw new Refusal(404, "task " + r.key() + " not found");
    }
    if (e.spec == null) {
      throw new Refusal(409, "task " + r.key() + " cannot run: its declaration is invalid: " + e.invalid);
    }
    if (e.origin.kind() == Origin.Kind.CRD && !fromAnnotation) {
      // the agent may not patch DelayedTasks (its ClusterRole); the annotation reaches every agent
      throw new Refusal(409, "task " + r.key() + " is a DelayedTask: run it now with kubectl annotate delayedtask "
          + e.metadata.name() + " -n " + e.metadata.namespace() + " nodepulse.dev/run-now=$(date +%s) --overwrite");
    }
    if (e.origin.kind() == Origin.Kind.CONFIGMAP) {
      throw new Refusal(409, "task " + r.key() + " is declared in the cluster (" + e.origin.describe() + "); run now "
          + "applies to DelayedTasks (annotation nodepulse.dev/run-now) and to this agent's own tasks (REST and files)");
    }
    if (!e.runNow.accept(r.requestId())) {
      return false;
    }
    runWaiting(e);
    return true;
  }

  /** Starts the next waiting run-now request when nothing of the task is in progress ({@link RunNow#start}). */
  private void runWaiting(TaskEntry e) {
    long timer = e.timerId;
    if (RunNow.start(e)) {
      if (timer >= 0) {
        vertx.cancelTimer(timer); // the planned due time waits for the extra run
      }
      LOG.info("task {}: run now (request {})", e.key, e.extra.requestId());
      due(e, now(), false);
    }
  }

  // ------------------------------------------------------------------ declarations

  /** The result of a declaration: whether the task is new, and the task as it is now. */
  public record Declared(boolean created, DelayedTask task) {}

  /** A source declares a task (or that its declaration is invalid). Refusal 409 when another origin holds it. */
  public Declared declare(Declaration d) {
    String key = d.key();
    String conflict = conflict(key, d.origin());
    if (conflict != null) {
      throw new Refusal(409, d.invalid() == null ? conflict : conflict + "; and it is invalid: "
          + d.invalid().message());
    }
    boolean created = !table.containsKey(key);
    TaskEntry e = d.task() != null ? apply(d.task(), d.origin(), d.anchor()) : applyInvalid(d.invalid(), d.origin());
    return new Declared(created, e.task(config.nodeName()));
  }

  /** A dry run of {@link #declare}: the task as declaring it would make it ({@link Preview#dryRun}); nothing changes. */
  public Declared preview(Declaration d) {
    String conflict = conflict(d.key(), d.origin());
    if (conflict != null) {
      throw new Refusal(409, conflict);
    }
    TaskEntry e = table.get(d.key());
    boolean same = e != null && e.spec != null && TaskJson.specHash(d.task().spec()).equals(e.specHash);
    long generation = e == null ? d.task().metadata().generation() : same ? e.generation : e.generation + 1;
    return new Declared(e == null, Preview.dryRun(d.task(), e == null ? null : e.status(config.nodeName()), same,
        generation, now(), config.nodeName()));
  }

  /** A source withdraws its declaration; Refusal 404 when unknown, 409 when another origin holds the key. */
  public void withdraw(Origin origin, String key) {
    String held = owners.get(owner(origin));
    if (held == null) {
      TaskEntry other = key == null ? null : table.get(key);
      if (other != null) {
        throw new Refusal(409, "task " + key + " is declared by " + other.origin.describe() + "; remove it there");
      }
      throw new Refusal(404, "task " + (key == null ? origin.id() : key) + " not found");
    }
    owners.remove(owner(origin));
    drop(held);
  }

  /** A source of {@code kind} has declared everything: stored state of its tasks it did not declare is forgotten. */
  public int synced(Origin.Kind kind) {
    List<String> forgotten = new ArrayList<>();
    stored.values().removeIf(row -> {
      boolean gone = kindOf(row.source()) == kind && !table.containsKey(row.key());
      if (gone) {
        forgotten.add(row.key());
      }
      return gone;
    });
    for (String key : forgotten) {
      store.delete(key);
      sinks.forEach(s -> s.forget(key));
    }
    if (!forgotten.isEmpty()) {
      LOG.info("{} source no longer declares {}: their stored state is deleted", kind.label(), forgotten);
    }
    return forgotten.size();
  }

  private String conflict(String key, Origin origin) {
    TaskEntry existing = table.get(key);
    if (existing != null && !existing.origin.sameDeclaration(origin)) {
      return "task " + key + " is already declared by " + existing.origin.describe() + "; the declaration in "
          + origin.describe() + " is refused";
    }
    return null;
  }

  private static String owner(Origin o) {
    return o.kind() + "\u0000" + o.id();
  }

  private static Origin.Kind kindOf(String label) {
    for (Origin.Kind k : Origin.Kind.values()) {
      if (k.label().equals(label)) {
        return k;
      }
    }
    return "dir".equals(label) ? Origin.Kind.FILE : null; // rows written before origins had kinds
  }

  // ------------------------------------------------------------------ table changes

  /**
   * Adds or replaces a valid task from a declaration. {@code anchor} (null: none): when the task's object was written
   * in the cluster; a new schedule counts from it rather than from now (see {@link #start}).
   */
  private TaskEntry apply(DelayedTask task, Origin origin, Instant anchor) {
    Instant now = now();
    leaveOldKey(origin, task.key());
    store.keep(task.key(), task.spec().history());
    String hash = TaskJson.specHash(task.spec());
    TaskEntry e = table.get(task.key());
    if (e != null && e.spec == null) {
      table.remove(e.key); // the same declaration was invalid for a while: its parked state may come back
      e = null;
    }
    if (e == null) {
      e = new TaskEntry(task.key());
      e.origin = origin;
      e.metadata = task.metadata();
      e.spec = task.spec();
      e.specHash = hash;
      e.generation = task.metadata().generation();
      TaskRow row = stored.remove(task.key());
      boolean restored = false;
      if (row != null) {
        keepHistory(e, row);
        if (hash.equals(row.specHash())) {
          e.firstSeen = Instant.ofEpochMilli(row.firstSeen());
          e.nextRunAt = row.nextRunAt() == null ? null : Instant.ofEpochMilli(row.nextRunAt());
          e.done = row.done();
          e.phase = phaseOf(row.phase());
          restored = true;
          if (row.runningDue() != null) {
            interrupted(e, Instant.ofEpochMilli(row.runningDue()), now);
          }
        } else {
          e.generation++;
          start(e, anchor, now);
          LOG.info("task {} changed while it was not declared: new schedule (generation {})", e.key, e.generation);
        }
      } else {
        start(e, anchor, now);
      }
      e.changedAt = now;
      table.put(e.key, e);
      owners.put(owner(origin), e.key);
      arm(e, restored);
    } else {
      e.origin = origin;
      e.metadata = task.metadata();
      if (hash.equals(e.specHash)) { // spec.suspend is not in the hash: pausing keeps the schedule
        boolean suspendChanged = e.spec.suspend() != task.spec().suspend();
        boolean ttlChanged = !java.util.Objects.equals(e.spec.ttlAfterFinished(), task.spec().ttlAfterFinished());
        e.spec = task.spec();
        if (ttlChanged) { // not in the hash either: planned again from the new value
          cancelExpiry(e);
          changed(e, false);
        }
        store.dirty(e.key); // labels or the origin's generation may have changed
        if (suspendChanged) {
          suspendChanged(e, now);
        }
        return e;
      }
      stopEntry(e);
      e.spec = task.spec();
      e.specHash = hash;
      e.invalid = null;
      e.generation++;
      start(e, anchor, now);
      e.progress = null;
      step(e, new Timeline.Event.NewSchedule(), now);
      e.changedAt = now;
      arm(e, false);
    }
    store.dirty(e.key);
    changed(e, false);
    return e;
  }

  /** {@code spec.suspend} was set or cleared ({@link Suspension}): a one-shot that waited is planned now. */
  private void suspendChanged(TaskEntry e, Instant now) {
    if (Suspension.changed(e, e.spec.suspend()) && e.timerId < 0 && e.run == null) {
      step(e, new Timeline.Event.Resumed(), now);
    }
    e.changedAt = now;
    changed(e, false);
  }

  /**
   * A new schedule: counted from {@code anchor} when the source gives one (the same due times on every agent and
   * after a restart that lost the state, docs/tasks.md), else from now.
   */
  private void start(TaskEntry e, Instant anchor, Instant now) {
    e.firstSeen = anchor != null ? anchor : now;
    e.nextRunAt = anchor != null ? e.plan(config.nodeName()).firstFromAnchor(anchor, now) : null;
  }

  /**
   * A run had started and was not recorded when the agent stopped: it is not run again (at most once); its
   * outcome is unknown and said so. A recurring task goes on from the next occurrence after it.
   */
  private void interrupted(TaskEntry e, Instant due, Instant now) {
    step(e, new Timeline.Event.Interrupted(due), now);
    LOG.warn("task {}: {}", e.key, e.lastRun.error());
  }

  /** A declaration that could not be read: a Failed entry whose condition says why (file and field). */
  private TaskEntry applyInvalid(Declaration.Invalid invalid, Origin origin) {
    Instant now = now();
    String key = invalid.key();
    leaveOldKey(origin, key);
    TaskEntry e = table.get(key);
    if (e != null && e.spec == null && e.origin.sameDeclaration(origin) && invalid.message().equals(e.invalid)) {
      return e; // nothing new
    }
    if (e != null && e.spec != null) {
      park(e); // same declaration, briefly unreadable (an editor's save): its state waits for it
      e = null;
    }
    if (e == null) {
      e = new TaskEntry(key);
      e.origin = origin;
      e.generation = 1;
      e.firstSeen = now;
      TaskRow row = stored.get(key);
      if (row != null) {
        keepHistory(e, row);
      }
      table.put(key, e);
      owners.put(owner(origin), key);
    } else {
      stopEntry(e);
      e.origin = origin;
    }
    e.metadata = new TaskMetadata(invalid.name(), invalid.namespace(), e.generation, null, null, Map.of());
    e.spec = null;
    e.specHash = null;
    e.invalid = invalid.message();
    step(e, new Timeline.Event.Invalid(), now);
    e.progress = null;
    e.changedAt = now;
    changed(e, false);
    return e;
  }

  /** The declaration now names another key (or is invalid): its old task is parked, its state kept. */
  private void leaveOldKey(Origin origin, String newKey) {
    String old = owners.get(owner(origin));
    if (old != null && !old.equals(newKey)) {
      owners.remove(owner(origin));
      TaskEntry e = table.get(old);
      if (e != null && e.spec != null) {
        park(e);
        table.remove(old);
        changed(e, true);
      } else if (e != null) {
        table.remove(old);
        changed(e, true);
      }
    }
  }

  /** Stops the entry and keeps its state (in memory and in tasks.db) until the task is declared again. */
  private void park(TaskEntry e) {
    stopEntry(e);
    if (e.runningDue != null) {
      e.runningDue = null; // cancelled above: it is not running any more
    }
    row(e.key).ifPresent(r -> stored.put(e.key, r));
    store.dirty(e.key);
    table.remove(e.key);
  }

  /** Removes a task: its timer and run stop, its stored row and history are deleted, the page hears it is gone. */
  private void drop(String key) {
    TaskEntry e = table.remove(key);
    stored.remove(key);
    store.delete(key);
    store.keep(key, null);
    sinks.forEach(s -> s.forget(key));
    if (e != null) {
      stopEntry(e);
      changed(e, true);
    }
  }

  /** Cancels the entry's timer and any attempt in flight; queued runs and late results become stale. */
  private void stopEntry(TaskEntry e) {
    e.epoch++;
    e.retry = 0;
    e.held = null;
    Suspension.changed(e, true);
    e.extra = null;
    e.runNow.clearWaiting();
    if (e.timerId >= 0) {
      vertx.cancelTimer(e.timerId);
      e.timerId = -1;
    }
    cancelExpiry(e);
    if (e.run != null) {
      e.run.cancel();
      e.run = null; // its late result belongs to the old epoch and is not recorded
    }
  }

  private void restoreRestTasks() {
    for (TaskRow row : new ArrayList<>(stored.values())) {
      if (kindOf(row.source()) != Origin.Kind.REST || row.object() == null) {
        continue;
      }
      int slash = row.key().indexOf('/');
      // from the key: rows written before origins had ids keep working with REST deletes
      Origin origin = Origin.rest(row.key().substring(0, slash), row.key().substring(slash + 1));
      try {
        apply(TaskReader.read(row.object(), TaskReader.Format.JSON), origin, null);
      } catch (TaskValidationException ex) {
        // e.g. posted before a bound was tightened: shown as a Failed task (to fix or delete), not dropped unseen
        LOG.warn("stored task {} cannot be read back: {}", row.key(), ex.getMessage());
        applyInvalid(new Declaration.Invalid(row.key().substring(0, slash), row.key().substring(slash + 1),
            "posted task cannot be read back: " + ex.getMessage()), origin);
      }
    }
  }

  // ------------------------------------------------------------------ due

  /** Sets the entry's timer for its next due run (or marks it finished). {@code restoring}: stored state is used. */
  private void arm(TaskEntry e, boolean restoring) {
    if (e.spec == null) {
      return;
    }
    // a run interrupted by a stop has no nextRunAt: it counts from the first due time; due times that passed
    // meanwhile are accounted for when the timer fires (catchUp)
    Instant due = e.done ? null : e.nextRunAt == null ? e.plan(config.nodeName()).first(e.firstSeen) : e.nextRunAt;
    step(e, new Timeline.Event.Armed(due), now());
  }

  /** The entry's timer for {@code due} (a retry of its occurrence when {@code isRetry}); its state says it already. */
  private void timer(TaskEntry e, Instant due, boolean isRetry) {
    long delay = Math.max(1, Duration.between(now(), due).toMillis());
    int epoch = e.epoch;
    e.timerId = vertx.setTimer(delay, id -> {
      if (e.epoch == epoch && e.timerId == id) {
        e.timerId = -1;
        due(e, due, isRetry);
      }
    });
    store.dirty(e.key);
  }

  // ------------------------------------------------------------------ claim, slot, started, secrets, run

  private void due(TaskEntry e, Instant due, boolean isRetry) {
    if (isRetry) {
      take(e, due, true); // a retry runs under the occurrence's claim
      return;
    }
    if (e.spec.suspend() && e.extra == null) {
      suspended(e, due);
      return;
    }
    if (Overlap.decide(e.spec.concurrencyPolicy(), e.running()) == Overlap.Decision.REPLACE) {
      e.epoch++; // the running attempt's CANCELLED result is recorded; this due time owns the status
      e.run.cancel();
      e.run = null;
    }
    e.retry = 0;
    // a nodes: one task of the cluster: the claim's record accounts for the due times nobody ran (below), not this
    // agent's own view (the others may have run them while it was down); it claims the latest that passed (an extra
    // run, from run now, is no due time of the schedule: it runs when asked)
    Catchup.Decision d = clusterClaimed(e) && e.extra == null ? latestPassed(e, due) : catchUp(e, due);
    if (d.run() == null) {
      return;
    }
    due = d.run();
    e.occurrence = due;
    int epoch = e.epoch;
    Instant claimed = due;
    Claims.Request req = request(e, due);
    claims.claim(req).onComplete(ar -> context.runOnContext(v -> {
      if (e.epoch != epoch || table.get(e.key) != e) {
        return;
      }
      Claims.Claim c = ar.succeeded() ? ar.result()
          : new Claims.Claim.Taken(null, "the claim could not be decided");
      switch (c) {
        case Claims.Claim.Granted g -> {
          e.claimedBy = g.holder();
          // the due times after the cluster's previous claim (and after those this agent counted MISSED already)
          Instant base = g.previous() == null || e.lastMissed == null || !e.lastMissed.to().isAfter(g.previous())
              ? g.previous() : e.lastMissed.to();
          if (base != null && g.previousEnded() != null) { // Forbid: those that came while the previous run went on
            Instant until = g.previousEnded().isBefore(claimed) ? g.previousEnded() : claimed.minusNanos(1);
            Instant last = skipped(e, base, until);
            base = last == null ? base : last;
          }
          Instant after = base == null ? null : e.plan(config.nodeName()).nextAfter(base, base);
          Instant from = after != null && after.isBefore(claimed) ? after : claimed;
          if (from.isBefore(claimed) || laterDuePassed(e, claimed)) {
            // due times no agent could claim (outage, takeover): the agent that claims again accounts for them
            Catchup.Decision late = catchUp(e, from, CLAIM_LATE);
            if (late.run() != null && !late.run().equals(claimed)) {
              due(e, late.run(), false); // the latest, claimed in its own right
            }
            if (late.run() == null || !late.run().equals(claimed)) {
              return;
            }
          }
          take(e, claimed, false);
        }
        case Claims.Claim.Taken t -> taken(e, claimed, t);
      }
    }));
  }

  /**
   * Accounts for the due times from {@code due} to now (one passed alone runs; a burst follows spec.missedRuns;
   * startingDeadline applies): the MISSED ones are recorded as one burst; when none runs, the next is planned.
   */
  private Catchup.Decision catchUp(TaskEntry e, Instant due) {
    return catchUp(e, due, due.isBefore(startedAt) ? "the agent was not running"
        : "the agent could not run them when due (paused, or its clock jumped)");
  }

  private static final String CLAIM_LATE = "no agent could claim them in time (the API server was away, the "
      + "claim holder stopped, or no agent was running)";

  /** A {@code nodes: one} task declared in the cluster: its due times are claimed and accounted for there. */
  private static boolean clusterClaimed(TaskEntry e) {
    return e.spec.nodes() == TaskSpec.Nodes.ONE
        && (e.origin.kind() == Origin.Kind.CRD || e.origin.kind() == Origin.Kind.CONFIGMAP);
  }

  /** The latest due time that passed from {@code due} to now, to claim ({@link Catchup#latest}); none: plans the next. */
  private Catchup.Decision latestPassed(TaskEntry e, Instant due) {
    Duration jitter = e.plan(config.nodeName()).jitter();
    Catchup.Decision d = Catchup.latest(e.spec.timing(), due.minus(jitter), now().minus(jitter)).shifted(jitter);
    return d.run() == null ? catchUp(e, due) : d;
  }

  /** A recurring task's next due time after {@code due} has passed already. */
  private boolean laterDuePassed(TaskEntry e, Instant due) {
    Instant next = e.spec.timing().oneShot() ? null : e.plan(config.nodeName()).nextAfter(due, due);
    return next != null && !next.isAfter(now());
  }

  private Catchup.Decision catchUp(TaskEntry e, Instant due, String why) {
    Instant now = now();
    Duration jitter = e.plan(config.nodeName()).jitter(); // decided on the schedule's own times, then moved back
    Catchup.Decision d = Catchup.decide(e.spec.missedRuns(), e.spec.startingDeadline(), e.spec.timing(),
        due.minus(jitter), now.minus(jitter), why).shifted(jitter);
    step(e, new Timeline.Event.CaughtUp(d), now);
    if (d.run() == null) {
      e.changedAt = now;
      store.writeNow(e.key);
      changed(e, false);
    }
    return d;
  }

  private Claims.Request request(TaskEntry e, Instant due) {
    return new Claims.Request(e.metadata.namespace(), e.metadata.name(), e.origin, e.generation, e.spec.nodes(),
        due, config.nodeName(), e.extra == null ? null : e.extra.requestId());
  }

  /** Suspended: nothing runs; a recurring task plans its next due time, a one-shot waits ({@link Suspension}). */
  private void suspended(TaskEntry e, Instant due) {
    Instant now = now();
    Instant next = Suspension.reached(e, e.plan(config.nodeName()), due, now);
    step(e, new Timeline.Event.ReachedSuspended(next, e.waitsForResume), now);
    e.changedAt = now;
    store.dirty(e.key);
    changed(e, false);
  }

  /** Another node runs this occurrence: nothing runs here; the next occurrence is planned. */
  private void taken(TaskEntry e, Instant due, Claims.Claim.Taken t) {
    Instant now = now();
    step(e, new Timeline.Event.Taken(due, t.holder()), now);
    e.changedAt = now;
    store.dirty(e.key);
    changed(e, false);
    runWaiting(e);
  }

  /** Waits for a slot of the target's type; past its startingDeadline when the slot comes, the run is MISSED. */
  private void take(TaskEntry e, Instant due, boolean isRetry) {
    String type = e.spec.target().type();
    int epoch = e.epoch;
    queue.submit(type, () -> {
      if (e.epoch != epoch || table.get(e.key) != e) {
        queue.release(type);
        return;
      }
      Instant now = now();
      Duration late = Duration.between(due, now);
      if (!isRetry && e.spec.startingDeadline() != null && late.compareTo(e.spec.startingDeadline()) > 0) {
        queue.release(type);
        step(e, new Timeline.Event.DeadlinePassed(due), now);
        accounted(e, now);
        return;
      }
      started(e, due, type, isRetry);
    });
  }

  /**
   * The run is recorded as started (committed) before its target is called. When it cannot be (tasks.db
   * read-only, locked, full) the run is held: its slot is given back, nothing is called, and it is taken again
   * when the store can be written. Its duration counts from the call, not from the wait for the database.
   */
  private void started(TaskEntry e, Instant due, String type, boolean isRetry) {
    step(e, new Timeline.Event.Started(due), now());
    e.progress = e.spec.target() instanceof Target.Compute ? new Progress(0, "") : null;
    int epoch = e.epoch;
    store.writeNow(e.key).onComplete(written -> {
      if (e.epoch != epoch || table.get(e.key) != e) {
        queue.release(type);
        return;
      }
      if (written.failed()) {
        held(e, due, type, isRetry);
        return;
      }
      e.held = null;
      changed(e, false);
      Headers.resolve(secrets, e.metadata.namespace(), e.spec.target()).onComplete(h -> {
        if (e.epoch != epoch || table.get(e.key) != e) {
          queue.release(type);
          return;
        }
        Instant startedAt = now();
        if (h.failed()) {
          ended(e, epoch, type, due, startedAt, RunResult.failure(RunResult.Outcome.FAILED,
              String.valueOf(h.cause().getMessage())));
          return;
        }
        run(e, epoch, type, due, startedAt, h.result());
      });
    });
  }

  /** The start could not be recorded: nothing is called (at most once); the run waits for a writable store. */
  private void held(TaskEntry e, Instant due, String type, boolean isRetry) {
    queue.release(type);
    step(e, new Timeline.Event.Held(due), now());
    e.progress = null;
    boolean first = e.held == null;
    e.held = "the run due at " + due + " is held: its start cannot be recorded (" + store.lastError()
        + "); it runs when tasks.db can be written";
    e.changedAt = now();
    store.dirty(e.key);
    changed(e, false);
    if (first) {
      LOG.warn("task {}: {}", e.key, e.held);
    }
    int epoch = e.epoch;
    store.writable().onComplete(v -> context.runOnContext(x -> {
      if (e.epoch == epoch && table.get(e.key) == e) {
        take(e, due, isRetry);
      }
    }));
  }

  private void run(TaskEntry e, int epoch, String type, Instant due, Instant startedAt, Map<String, String> headers) {
    if (e.spec.target() instanceof Target.Http) { // the occurrence's due time: the same key on its retries
      String task = e.origin.kind() == Origin.Kind.CRD ? e.origin.id() : e.key; // a CRD origin's id: its uid
      headers = Headers.withIdempotencyKey(headers, task, e.runningDue,
          e.spec.nodes() == TaskSpec.Nodes.ALL ? config.nodeName() : null);
    }
    GuardedRun g = GuardedRun.start(vertx, context, runner, e.spec.target(), headers, timeoutOf(e.spec.target()),
        p -> progress(e, epoch, p));
    e.run = g;
    g.result().onComplete(ar -> ended(e, epoch, type, due, startedAt, ar.result()));
    step(e, new Timeline.Event.Called(startedAt), startedAt);
  }

  private Duration timeoutOf(Target t) {
    return switch (t) {
      case Target.Http h -> h.timeout();
      case Target.Tcp c -> c.timeout();
      case Target.Pipe p -> p.timeout();
      case Target.Compute c -> config.maxComputeTime();
    };
  }

  // ------------------------------------------------------------------ record

  /** One attempt ended: release its slot, record it, then retry or finish the run. */
  private void ended(TaskEntry e, int epoch, String type, Instant due, Instant startedAt, RunResult r) {
    Instant finished = now();
    queue.release(type);
    if (table.get(e.key) != e) {
      return; // removed while it ran
    }
    if (e.epoch != epoch) { // edited while it ran: the attempt counts, the new spec owns the status
      record(e, type, due, startedAt, finished, Duration.between(due, startedAt), r);
      return;
    }
    if (e.run != null && e.run.result().isComplete()) {
      e.run = null; // else a later run of the task goes on (concurrencyPolicy Allow)
    }
    e.progress = null; // the result is in lastRun
    record(e, type, due, startedAt, finished, Duration.between(due, startedAt), r);
    step(e, new Timeline.Event.AttemptEnded(due, startedAt, r), finished);
    if (e.retry > 0) { // a retry is planned
      store.writeNow(e.key);
      changed(e, false);
      return;
    }
    accounted(e, finished);
  }

  private void record(TaskEntry e, String type, Instant due, Instant startedAt, Instant finished, Duration late,
      RunResult r) {
    long took = startedAt == null ? 0 : Duration.between(startedAt, finished).toMillis();
    RunRecord rec = new RunRecord(e.metadata.namespace(), e.metadata.name(), e.origin, type, due,
        startedAt, finished, took, late.toMillis(), config.nodeName(), r);
    for (StatusSink s : sinks) {
      try {
        s.attempted(rec);
      } catch (RuntimeException ex) {
        LOG.warn("a status sink failed to record a run of {}", e.key, ex);
      }
    }
  }

  /** A due time is done with (run or MISSED), its next step taken: written at once, told, run-now requests go on. */
  private void accounted(TaskEntry e, Instant now) {
    e.changedAt = now;
    store.writeNow(e.key);
    changed(e, false);
    runWaiting(e);
  }

  /** Due times not run, told at once: one burst to the sinks, one log line. */
  private void missed(TaskEntry e, Catchup.Missed m, Instant now) {
    MissedBurst burst = new MissedBurst(e.metadata.namespace(), e.metadata.name(), e.origin, e.spec.target().type(),
        m.count(), m.from(), m.to(), m.named(), m.reason(), config.nodeName(), now, false);
    sinks.forEach(s -> s.missed(burst));
    LOG.info("task {}: {} due time(s) from {} to {} MISSED: {}", e.key, m.count(), m.from(), m.to(), m.reason());
  }

  /** One step of the task's {@link Timeline}: its state set on the entry, its effects carried out in order. */
  private void step(TaskEntry e, Timeline.Event event, Instant now) {
    DuePlan plan = e.spec == null ? null : e.plan(config.nodeName());
    Timeline.Task task = new Timeline.Task(e.spec, plan, config.nodeName(), e.spec != null && clusterClaimed(e),
        e.extra, e.timerId >= 0, e.running(), e.occurrence);
    Timeline.Step step = Timeline.step(e.state(), task, event, now);
    e.set(step.state());
    for (Timeline.Effect effect : step.effects()) {
      switch (effect) {
        case Timeline.Effect.Plan p -> timer(e, p.at(), p.retry());
        case Timeline.Effect.Skip k -> skipped(e, k.due(), k.until());
        case Timeline.Effect.ExtraCleared x -> {
          e.extra = null;
          e.waitsForResume = x.waitsForResume();
        }
        case Timeline.Effect.NeverAgain n -> e.invalid = "the schedule never fires again";
        case Timeline.Effect.Record r -> record(e, e.spec.target().type(), r.due(), null, now, r.late(), r.result());
        case Timeline.Effect.Missed m -> missed(e, m.missed(), now);
      }
    }
  }

  private static final String FORBID = "a run of the task was still going (concurrencyPolicy: Forbid)";

  /**
   * Forbid: the due times after {@code due} up to {@code until} came while its run went on: skipped, not MISSED.
   * Returns the last of them, or null for none.
   */
  private Instant skipped(TaskEntry e, Instant due, Instant until) {
    DuePlan plan = e.plan(config.nodeName());
    Instant first = plan.nextAfter(due, due);
    if (first == null || first.isAfter(until)) {
      return null;
    }
    Duration jitter = plan.jitter(); // counted on the schedule's own times, then moved back
    Catchup.Missed m = Catchup.all(e.spec.timing(), first.minus(jitter), until.minus(jitter), FORBID).shifted(jitter);
    if (m.count() == 0) {
      return null;
    }
    e.overlapSkipped += m.count();
    e.lastOverlapSkipped = new TaskStatus.LastMissed(m.from(), m.to(), m.count(), m.reason());
    MissedBurst burst = new MissedBurst(e.metadata.namespace(), e.metadata.name(), e.origin, e.spec.target().type(),
        m.count(), m.from(), m.to(), m.named(), m.reason(), config.nodeName(), now(), true);
    sinks.forEach(s -> s.missed(burst));
    LOG.info("task {}: {} due time(s) from {} to {} skipped: {}", e.key, m.count(), m.from(), m.to(), m.reason());
    return m.to();
  }

  private void progress(TaskEntry e, int epoch, Progress p) {
    if (e.epoch != epoch || e.run == null) {
      return;
    }
    e.progress = p;
    changed(e, false, true); // the page sink throttles these
  }

  private void changed(TaskEntry e, boolean deleted) {
    changed(e, deleted, false);
  }

  private void changed(TaskEntry e, boolean deleted, boolean progressOnly) {
    if (!deleted && !progressOnly) {
      expiry(e);
    }
    TaskChange c = new TaskChange(e.origin, e.task(config.nodeName()), deleted, progressOnly);
    for (StatusSink s : sinks) {
      try {
        s.changed(c);
      } catch (RuntimeException ex) {
        LOG.warn("a status sink failed on a change of {}", e.key, ex);
      }
    }
  }

  /**
   * {@code spec.ttlAfterFinished} of a finished REST task ({@link Expiry}): removed as its DELETE would remove it, run
   * history included, once the ttl has passed since it finished; an extra run (run now) in progress is waited for, and
   * the ttl counts from its end. A file's or the cluster's declaration is its source's to delete (Kubernetes:
   * {@code kube.FinishedTasks}).
   */
  private void expiry(TaskEntry e) {
    if (e.expiryTimer >= 0 || !e.done || e.spec == null || e.origin.kind() != Origin.Kind.REST || e.extra != null
        || e.running()) {
      return;
    }
    Instant now = now();
    Expiry.Decision d = Expiry.decide(e.phase, e.lastRun == null ? e.changedAt : e.lastRun.finishedAt(),
        e.spec.ttlAfterFinished(), now);
    if (d.kind() != Expiry.Decision.Kind.NEVER) { // on a timer even when due now: never inside a change's sinks
      long delay = d.kind() == Expiry.Decision.Kind.AT ? Math.max(1, Duration.between(now, d.at()).toMillis()) : 1;
      e.expiryTimer = vertx.setTimer(delay, id -> {
        if (table.get(e.key) == e && e.expiryTimer == id && (e.extra != null || e.running())) {
          e.expiryTimer = -1; // planned again from the extra run's end (its change comes here)
        } else if (table.get(e.key) == e && e.expiryTimer == id) {
          LOG.info("task {} finished ({}) and its ttlAfterFinished of {} has passed: deleted", e.key, e.phase,
              Durations.format(e.spec.ttlAfterFinished()));
          owners.remove(owner(e.origin));
          drop(e.key);
        }
      });
    }
  }

  private void cancelExpiry(TaskEntry e) {
    if (e.expiryTimer >= 0) {
      vertx.cancelTimer(e.expiryTimer);
      e.expiryTimer = -1;
    }
  }

  /** The clock's time in whole milliseconds, as persisted (so times read the same after a restart). */
  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  // ------------------------------------------------------------------ persistence

  private java.util.Collection<String> keys() {
    java.util.Set<String> all = new java.util.LinkedHashSet<>(table.keySet());
    all.addAll(stored.keySet());
    return all;
  }

  private Optional<TaskRow> row(String key) {
    TaskEntry e = table.get(key);
    if (e == null || e.spec == null) {
      return Optional.ofNullable(stored.get(key));
    }
    String object = e.origin.kind() == Origin.Kind.REST
        ? TaskJson.toObjectJson(new DelayedTask(e.metadata, e.spec, null)).encode() : null;
    return Optional.of(new TaskRow(key, e.origin.kind().label(), e.origin.id(), object, e.specHash, e.generation,
        e.firstSeen.toEpochMilli(), e.nextRunAt == null ? null : e.nextRunAt.toEpochMilli(), e.runs, e.attempts,
        e.phase.name(), e.lastRun == null ? null : TaskJson.lastRunJson(e.lastRun).encode(), e.done,
        e.runningDue == null ? null : e.runningDue.toEpochMilli(), e.missed,
        e.lastMissed == null ? null : TaskJson.lastMissedJson(e.lastMissed).encode(), e.overlapSkipped,
        e.lastOverlapSkipped == null ? null : TaskJson.lastMissedJson(e.lastOverlapSkipped).encode()));
  }

  /** What a stored task keeps whatever its spec now is: runs, attempts, missed and skipped due times, last run, generation. */
  private static void keepHistory(TaskEntry e, TaskRow row) {
    e.runs = row.runs();
    e.attempts = row.attempts();
    e.lastRun = lastRunOf(row.lastRun());
    e.missed = row.missed();
    e.lastMissed = lastMissedOf(row.lastMissed());
    e.overlapSkipped = row.skipped();
    e.lastOverlapSkipped = lastMissedOf(row.lastSkipped());
    e.generation = row.generation();
  }

  private static TaskStatus.LastMissed lastMissedOf(String json) {
    try {
      return json == null ? null : TaskJson.lastMissedFrom(new JsonObject(json));
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static TaskStatus.LastRun lastRunOf(String json) {
    try {
      return json == null ? null : TaskJson.lastRunFrom(new JsonObject(json));
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
