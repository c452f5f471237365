package dev.nodepulse.kube;

import dev.nodepulse.kube.rules.ClaimRule;
import dev.nodepulse.kube.rules.DerivedStatus;
import dev.nodepulse.kube.rules.ResultStatus;
import dev.nodepulse.kube.wire.Conflicts;
import dev.nodepulse.kube.wire.Problems;
import dev.nodepulse.kube.wire.Wire;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.kube.crd.Status;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.Schedule;
import dev.nodepulse.tasks.model.TaskSpec;
import dev.nodepulse.tasks.model.TaskValidationException;
import dev.nodepulse.tasks.run.Claims;
import dev.nodepulse.tasks.run.Jitter;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The claim step in a cluster. {@code nodes: all}: granted when this node matches the nodeSelector (no write).
 * {@code nodes: one}: {@link ClaimRule} picks one candidate per (task, due time) from the live Leases; only the
 * candidate writes the claim record, conditional on the resourceVersion it read: for a DelayedTask its status
 * ({@code claimedBy}, {@code claimedFor}, phase Running), for a ConfigMap task its claim Lease ({@link ClaimLeases});
 * the others wait until the record shows the claim or the candidate's Lease expires. Due times are counted from when
 * the spec was written (the same for every agent). A run whose holder's Lease expired before it finished is recorded
 * LOST by the next candidate, and run again only when the task's retry allows it (docs/tasks.md: delivery).
 */
final class KubeClaims implements Claims {
  private static final Logger LOG = LoggerFactory.getLogger(KubeClaims.class);
  private static final Duration POLL = Duration.ofMillis(250);

  private final Vertx vertx;
  private final KubeLink link;
  /** The due time of the latest run granted here, per task (runs of one task never overlap on an agent). */
  private final Map<String, Instant> runningHere = new ConcurrentHashMap<>();
  /** The latest claim asked per task: its local and canonical due times, for the status writer. */
  private final Map<String, Occurrence> asked = new ConcurrentHashMap<>();

  private record Occurrence(Instant localDue, Instant due) {}

  /** Extra runs asked by a DelayedTask's annotation {@code nodepulse.dev/run-now}, claimed by request id. */
  final RunNowClaims runNow;

  KubeClaims(Vertx vertx, KubeLink link) {
    this.vertx = vertx;
    this.link = link;
    this.runNow = new RunNowClaims(vertx, link);
    link.withdrawn = this::forget;
    link.runsHere = (key, due) -> due.equals(runningHere.get(key)) || runNow.grantedHere(key, due);
  }

  /** A withdrawn task's entries (its claims are decided again from the record if it comes back). */
  void forget(String key) {
    runningHere.remove(key);
    asked.remove(key);
    runNow.forget(key);
  }

  /** Where one task's claims are kept, read and written; {@link #read} before {@link #claim}. */
  private interface ClaimRecord {
    /** The task's spec and when it was written, from the informers' caches; null when the task is gone. */
    Known known();

    /** The shared facts as last seen (the informers' caches). */
    ClaimRule.Shared seen();

    /** Reads the record (the cache, or the API server when {@code fresh}); false when the task is gone. Blocking. */
    boolean read(boolean fresh);

    /** When the run of the claim in what {@link #read} read ended, if the record tells (a DelayedTask's lastRun). */
    default Instant previousEnded() {
      return null;
    }

    /** The shared facts of what {@link #read} read. */
    ClaimRule.Shared shared();

    /** Writes the claim on what was read, conditionally; {@code lost}: records the held run LOST. Blocking. */
    void claim(Instant due, boolean lost);

    /** What the task is called in messages. */
    String kind();
  }

  private record Known(TaskSpec spec, Instant writtenAt) {}

  @Override
  public Future<Claim> claim(Request req) {
    if (req.origin().kind() != Origin.Kind.CRD && req.origin().kind() != Origin.Kind.CONFIGMAP) {
      return Future.succeededFuture(new Claim.Granted(req.node())); // files and REST posts: this agent's own
    }
    ClaimRecord record = record(req);
    Known known = record.known();
    if (known == null || link.client == null) {
      return Future.succeededFuture(new Claim.Taken(null, "the " + record.kind() + " is not known yet"));
    }
    TaskSpec spec = known.spec();
    runNow.asked(req.key(), req.dueAt());
    if (req.runNow() != null) {
      return req.origin().kind() == Origin.Kind.CRD ? runNow.claim(req, spec)
          : Future.succeededFuture(new Claim.Taken(null, "run now applies to DelayedTasks"));
    }
    if (req.nodes() == TaskSpec.Nodes.ALL) {
      boolean matches = link.leases.get().stream().filter(l -> l.node().equals(req.node())).findFirst()
          .map(l -> l.matches(spec.nodeSelector())).orElse(spec.nodeSelector().isEmpty());
      return Future.succeededFuture(matches ? new Claim.Granted(req.node())
          : new Claim.Taken(null, "this node does not match the nodeSelector"));
    }
    // the anchor moved by the task's jitter (the same on every agent for nodes: one), as the local due times are
    Instant due = canonicalDue(spec.timing(), req.dueAt(),
        known.writtenAt() == null ? null : known.writtenAt().plus(Jitter.shared(spec, req.key())));
    asked.put(req.key(), new Occurrence(req.dueAt(), due));
    Promise<Claim> answer = Promise.promise();
    decide(req, spec, due, answer, link.clock.instant().plus(spec.startingDeadline() == null
        ? link.settings.leaseDuration().multipliedBy(4) : spec.startingDeadline().plus(link.settings.leaseDuration())));
    return answer.future();
  }

  private ClaimRecord record(Request req) {
    return req.origin().kind() == Origin.Kind.CONFIGMAP ? new LeaseRecord(req) : new StatusRecord(req);
  }

  /** Decides from the cached view; waits (polling the cache, no API calls) while another node is the candidate. */
  private void decide(Request req, TaskSpec spec, Instant due, Promise<Claim> answer, Instant giveUpAt) {
    ClaimRecord record = record(req);
    if (record.known() == null) {
      answer.complete(new Claim.Taken(null, "the " + record.kind() + " was withdrawn"));
      return;
    }
    Instant now = link.clock.instant();
    ClaimRule.Shared shared = record.seen();
    ClaimRule.Decision d = ClaimRule.decide(req.node(), req.key(), due, shared, due.equals(runningHere.get(req.key())),
        forbids(spec), link.leases.get(), spec.nodeSelector(), spec.startingDeadline(), link.timing(due), now);
    switch (d) {
      case ClaimRule.Claim c -> write(req, spec, due, answer, false, giveUpAt, c.passedOver());
      case ClaimRule.Missed m -> write(req, spec, due, answer, false, giveUpAt, m.passedOver()); // recorded MISSED
      case ClaimRule.TakeOver t -> {
        if (spec.retry().limit() > 0) {
          LOG.info("task {}: node {} stopped during the run due at {}; running it again (retry allows it)",
              req.key(), t.deadNode(), due);
          write(req, spec, due, answer, false, giveUpAt, t.passedOver());
        } else {
          write(req, spec, due, answer, true, giveUpAt, t.passedOver());
        }
      }
      case ClaimRule.Taken t -> answer.complete(new Claim.Taken(shared.claimedBy(), t.reason()));
      case ClaimRule.NoLiveAgent n -> {
        if (now.isBefore(giveUpAt)) {
          // a member matching it may come (an agent starting): look again
          vertx.setTimer(POLL.toMillis(), id -> decide(req, spec, due, answer, giveUpAt));
        } else {
          answer.complete(new Claim.Taken(null, n.reason())); // nobody claimed it (the API server away)
        }
      }
      case ClaimRule.Wait w -> {
        if (now.isAfter(giveUpAt)) {
          // nobody claimed it: no holder, so the agent that claims again accounts for it (MISSED)
          answer.complete(new Claim.Taken(null, "waited for " + w.candidate() + " in vain"));
        } else {
          vertx.setTimer(POLL.toMillis(), id -> decide(req, spec, due, answer, giveUpAt));
        }
      }
    }
  }

  private static boolean forbids(TaskSpec spec) {
    return spec.concurrencyPolicy() == TaskSpec.ConcurrencyPolicy.Forbid;
  }

  /** The API server could not be reached: decide again later, within the task's deadline. */
  private static final Claim UNREACHABLE = new Claim.Taken(null, "the API server cannot be reached");

  /**
   * The conditional claim write; {@code lost}: record the held run as lost instead of running it. While the API
   * server cannot be reached the decision is made again (every second) until {@code giveUpAt}, so a run that falls
   * due during an outage runs once when it is back.
   */
  private void write(Request req, TaskSpec spec, Instant due, Promise<Claim> answer, boolean lost, Instant giveUpAt,
      java.util.List<String> passedOver) {
    ClaimRecord record = record(req);
    vertx.executeBlocking(() -> Conflicts.retry(3, attempt -> {
      if (!record.read(attempt > 0)) {
        return (Claim) new Claim.Taken(null, "the " + record.kind() + " was withdrawn");
      }
      ClaimRule.Shared s = record.shared();
      if (s.claimedFor() != null && (s.claimedFor().isAfter(due)
          || (s.claimedFor().equals(due) && !link.node().equals(s.claimedBy()) && !lost && attempt > 0))) {
        return new Claim.Taken(s.claimedBy(), "claimed by " + s.claimedBy());
      }
      if (!lost && forbids(spec) && ClaimRule.stillRunningElsewhere(link.node(), due, s, link.leases.get(),
          link.timing(due), link.clock.instant())) { // the cache did not show that claim yet
        return new Claim.Taken(s.claimedBy(), "the run due at " + s.claimedFor() + " is still going on "
            + s.claimedBy() + " (concurrencyPolicy: Forbid)");
      }
      String previous = s.claimedBy();
      Instant before = previousClaim(record, s, due, req.dueAt());
      Instant ended = before != null && forbids(spec) ? record.previousEnded() : null;
      try {
        link.wrote();
        record.claim(due, lost);
      } catch (KubernetesClientException e) {
        if (Conflicts.conflict(e)) {
          throw e; // another agent wrote first: read again
        }
        link.reach.failed(e); // one line for the whole outage, not one per task and second
        return e.getCode() > 0 && e.getCode() < 500 && e.getCode() != 429 ? new Claim.Taken(null, Problems.describe(e))
            : UNREACHABLE;
      }
      if (lost) {
        return new Claim.Taken(previous, "the run due at " + due + " was lost with node " + previous);
      }
      runningHere.put(req.key(), due);
      return new Claim.Granted(link.node(), before, ended);
    }, () -> new Claim.Taken(null, "the claim record kept changing")), false).onComplete(ar -> {
      Claim c = ar.succeeded() ? ar.result() : UNREACHABLE;
      if (ar.failed()) {
        link.reach.failed(ar.cause());
      } else if (c != UNREACHABLE) {
        link.reach.reached();
      }
      if (c instanceof Claim.Granted) {
        link.passedOver(passedOver);
      }
      if (c == UNREACHABLE && link.clock.instant().isBefore(giveUpAt)) {
        LOG.debug("task {}: cannot claim the run due at {} yet; trying again", req.key(), due);
        vertx.setTimer(1000, id -> decide(req, spec, due, answer, giveUpAt));
      } else {
        answer.complete(c);
      }
    });
  }

  /**
   * The task's claim before {@code due} in the record (on this agent's timeline, {@code localDue} being {@code due}
   * there), when it was claimed for the current spec: the claim of {@code due} accounts for the due times between.
   */
  private static Instant previousClaim(ClaimRecord record, ClaimRule.Shared s, Instant due, Instant localDue) {
    Known k = record.known();
    if (s.claimedFor() == null || !s.claimedFor().isBefore(due) || k == null || k.writtenAt() == null
        || s.claimedFor().isBefore(k.writtenAt())) {
      return null;
    }
    return s.claimedFor().plus(Duration.between(due, localDue));
  }

  /** A DelayedTask's claims: its status, through the status subresource. */
  private final class StatusRecord implements ClaimRecord {
    private final Request req;
    private DelayedTaskResource read;

    StatusRecord(Request req) {
      this.req = req;
    }

    @Override
    public Known known() {
      DelayedTaskResource r = link.task(req.namespace(), req.name());
      if (r == null) {
        return null;
      }
      try {
        return new Known(Wire.read(r).spec(), Wire.specWrittenAt(r));
      } catch (TaskValidationException e) {
        return null;
      }
    }

    @Override
    public ClaimRule.Shared seen() {
      DelayedTaskResource r = link.task(req.namespace(), req.name());
      return r == null ? ClaimRule.Shared.NONE : KubeClaims.shared(r);
    }

    @Override
    public boolean read(boolean fresh) {
      read = fresh ? link.client.resources(DelayedTaskResource.class).inNamespace(req.namespace())
          .withName(req.name()).get() : link.task(req.namespace(), req.name());
      return read != null;
    }

    @Override
    public ClaimRule.Shared shared() {
      return KubeClaims.shared(read);
    }

    @Override
    public Instant previousEnded() {
      Status s = read.getStatus();
      return s == null || s.lastRun == null || s.claimedFor == null || !s.claimedFor.equals(s.lastRun.dueAt) ? null
          : Wire.instant(s.lastRun.finishedAt);
    }

    @Override
    public void claim(Instant due, boolean lost) {
      Status st = Wire.copy(read.getStatus());
      String previous = st.claimedBy;
      st.claimedBy = link.node();
      st.claimedFor = due.toString();
      st.claimedAt = link.clock.instant().toString();
      st.observedGeneration = read.getMetadata().getGeneration();
      if (lost) {
        st.lastRun = ResultStatus.lost(due, previous, link.clock.instant());
        st.runs = (st.runs == null ? 0 : st.runs) + 1;
      }
      Known k = known();
      if (k != null) {
        PlannedStatus.after(st, k.spec(), req.key(), due, link.clock.instant()); // the run is no longer the next one
        // phase (Running, or the lost run's end), conditions, summary: derived from these facts
        st = DerivedStatus.of(st, k.spec(), read.getMetadata().getGeneration(), link.clock.instant());
      }
      link.client.resource(Wire.withStatus(read, st)).updateStatus(); // PUT with the resourceVersion read
    }

    @Override
    public String kind() {
      return "DelayedTask";
    }
  }

  /** A ConfigMap task's claims: its claim Lease in the agents' namespace. */
  private final class LeaseRecord implements ClaimRecord {
    private final Request req;
    private Lease read;

    LeaseRecord(Request req) {
      this.req = req;
    }

    @Override
    public Known known() {
      ConfigMapSource.Entry e = link.configMapTasks.get(req.key());
      return e == null ? null : new Known(e.spec(), e.writtenAt());
    }

    @Override
    public ClaimRule.Shared seen() {
      ClaimLeases c = link.claimLeases;
      return c == null ? ClaimRule.Shared.NONE : ClaimLeases.shared(c.cached(req.key()));
    }

    @Override
    public boolean read(boolean fresh) {
      ClaimLeases c = link.claimLeases;
      if (c == null || known() == null) {
        return false;
      }
      read = fresh ? c.read(req.key()) : c.cached(req.key());
      return true; // a task with no claim Lease yet: the claim creates it
    }

    @Override
    public ClaimRule.Shared shared() {
      return ClaimLeases.shared(read);
    }

    @Override
    public void claim(Instant due, boolean lost) {
      String previous = read == null || read.getSpec() == null ? null : read.getSpec().getHolderIdentity();
      link.claimLeases.claim(req.key(), read, due, link.clock.instant(), lost ? "LOST" : null);
      if (lost) {
        ConfigMapSource.Entry e = link.configMapTasks.get(req.key());
        if (e != null) {
          Events.emit(link, e.configMap(), "Warning", "RunLost", "task " + req.name() + ": the agent on " + previous
              + " stopped during the run due at " + due + "; its outcome is unknown and it is not repeated (at most "
              + "once; set retry to run it again)");
        }
      }
    }

    @Override
    public String kind() {
      return "ConfigMap entry";
    }
  }

  /**
   * The canonical due time of an attempt recorded with {@code localDue}: the latest claim asked for the task, when the
   * attempt belongs to it (its first attempt has its due time, a retry a later one); null otherwise.
   */
  Instant canonicalOf(String key, Instant localDue) {
    RunNowClaims.Grant g = runNow.of(key, localDue);
    if (g != null) {
      return g.at(); // an extra run (run now): the due time its claim wrote
    }
    Occurrence o = asked.get(key);
    return o == null || localDue.isBefore(o.localDue()) ? null : o.due();
  }

  /** A local due time moved onto the cluster's schedule by the latest claim's offset (itself before any claim). */
  Instant onClusterSchedule(String key, Instant localDue) {
    Occurrence o = asked.get(key);
    return o == null ? localDue : localDue.plus(Duration.between(o.localDue(), o.due()));
  }

  static ClaimRule.Shared shared(DelayedTaskResource r) {
    Status s = r.getStatus();
    if (s == null) {
      return ClaimRule.Shared.NONE;
    }
    Instant finished = s.lastRun == null ? null : Wire.instant(s.lastRun.dueAt);
    return new ClaimRule.Shared(Wire.instant(s.claimedFor), s.claimedBy, finished, Wire.instant(s.claimedAt));
  }

  /**
   * The due time every agent agrees on: {@code at} and cron are exact; a delay counts from when the spec was
   * written; an interval's occurrence is the one nearest to this agent's local due time.
   */
  static Instant canonicalDue(Schedule timing, Instant localDue, Instant specWrittenAt) {
    if (specWrittenAt == null) {
      return localDue;
    }
    return switch (timing) {
      case Schedule.At a -> localDue;
      case Schedule.Cron c -> localDue;
      case Schedule.Delay d -> specWrittenAt.plus(d.delay());
      case Schedule.Every e -> {
        long period = e.every().toMillis();
        long k = Math.max(1, Math.round((double) (localDue.toEpochMilli() - specWrittenAt.toEpochMilli()) / period));
        yield specWrittenAt.plusMillis(k * period);
      }
    };
  }
}
