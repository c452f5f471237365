package dev.nodepulse.kube;

import dev.nodepulse.kube.rules.ClaimRule;
import dev.nodepulse.kube.rules.DerivedStatus;
import dev.nodepulse.kube.rules.RunNowRule;
import dev.nodepulse.kube.wire.Conflicts;
import dev.nodepulse.kube.wire.Problems;
import dev.nodepulse.kube.wire.Wire;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.kube.crd.Status;
import dev.nodepulse.tasks.model.TaskSpec;
import dev.nodepulse.tasks.model.TaskValidationException;
import dev.nodepulse.tasks.run.Claims.Claim;
import dev.nodepulse.tasks.run.Claims.Request;
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
 * The claim of an extra run of a DelayedTask asked by its annotation {@code nodepulse.dev/run-now} ({@link
 * RunNowRule}). {@code nodes: one}: the candidate for the request id writes {@code status.lastRunNow} with the claim
 * ({@code claimedFor}: the extra run's due time, {@code claimedBy}), conditional on the resourceVersion it read; the
 * others wait until the status shows the request or the candidate's Lease expires. {@code nodes: all}: every node
 * that matches the nodeSelector and whose {@code status.nodes[].lastRunNow} is another request runs it (its result
 * write records the request there, {@link StatusWriter}).
 */
final class RunNowClaims {
  private static final Logger LOG = LoggerFactory.getLogger(RunNowClaims.class);
  private static final Duration POLL = Duration.ofMillis(250);

  private final Vertx vertx;
  private final KubeLink link;
  /** The latest extra run granted here, per task: its local due time, request id and cluster due time. */
  private final Map<String, Grant> granted = new ConcurrentHashMap<>();
  /** The local due time of the latest claim asked per task, of any kind. */
  private final Map<String, Instant> latestAsked = new ConcurrentHashMap<>();

  record Grant(Instant localDue, String requestId, Instant at) {}

  RunNowClaims(Vertx vertx, KubeLink link) {
    this.vertx = vertx;
    this.link = link;
  }

  /** Every claim asked ({@link KubeClaims#claim}), so that a later due run is not taken for the extra one. */
  void asked(String key, Instant localDue) {
    latestAsked.put(key, localDue);
  }

  void forget(String key) {
    granted.remove(key);
    latestAsked.remove(key);
  }

  /** True when this agent was granted the extra run whose cluster due time ({@code claimedFor}) is {@code at}. */
  boolean grantedHere(String key, Instant at) {
    Grant g = granted.get(key);
    return g != null && g.at().equals(at);
  }

  /** The extra run an attempt due at {@code localDue} belongs to (its first attempt or a retry), or null. */
  Grant of(String key, Instant localDue) {
    Grant g = granted.get(key);
    return g != null && !localDue.isBefore(g.localDue()) && g.localDue().equals(latestAsked.get(key)) ? g : null;
  }

  /** The request id of {@code node}'s {@code status.nodes[].lastRunNow} (nodes: all), or null. */
  static String handledOn(DelayedTaskResource r, String node) {
    Status s = r == null ? null : r.getStatus();
    if (s == null || s.nodes == null) {
      return null;
    }
    return s.nodes.stream().filter(n -> node.equals(n.node) && n.lastRunNow != null).map(n -> n.lastRunNow.requestId)
        .findFirst().orElse(null);
  }

  /** The request id of {@code status.lastRunNow} (nodes: one), or null. */
  static String handled(DelayedTaskResource r) {
    Status s = r == null ? null : r.getStatus();
    return s == null || s.lastRunNow == null ? null : s.lastRunNow.requestId;
  }

  Future<Claim> claim(Request req, TaskSpec spec) {
    if (req.nodes() == TaskSpec.Nodes.ALL) {
      DelayedTaskResource r = link.task(req.namespace(), req.name());
      boolean matches = link.leases.get().stream().filter(l -> l.node().equals(req.node())).findFirst()
          .map(l -> l.matches(spec.nodeSelector())).orElse(spec.nodeSelector().isEmpty());
      if (!matches) {
        return Future.succeededFuture(new Claim.Taken(req.node(), "this node does not match the nodeSelector"));
      }
      if (req.runNow().equals(handledOn(r, req.node()))) {
        return Future.succeededFuture(new Claim.Taken(req.node(), "request " + req.runNow() + " ran on this node"));
      }
      granted.put(req.key(), new Grant(req.dueAt(), req.runNow(), req.dueAt()));
      return Future.succeededFuture(new Claim.Granted(req.node()));
    }
    Promise<Claim> answer = Promise.promise();
    Instant now = link.clock.instant();
    decide(req, spec, answer, now, now.plus(link.settings.leaseDuration().multipliedBy(4)));
    return answer.future();
  }

  /** Decides from the cached view; waits (polling the cache, no API calls) while another node is the candidate. */
  private void decide(Request req, TaskSpec spec, Promise<Claim> answer, Instant since, Instant giveUpAt) {
    DelayedTaskResource r = link.task(req.namespace(), req.name());
    if (r == null) {
      answer.complete(new Claim.Taken(null, "the DelayedTask was withdrawn"));
      return;
    }
    Instant now = link.clock.instant();
    ClaimRule.Decision d = RunNowRule.decide(req.node(), req.key(), req.runNow(), handled(r), KubeClaims.shared(r),
        link.leases.get(), spec.nodeSelector(), link.timing(since), now);
    switch (d) {
      case ClaimRule.Claim c -> write(req, answer, c.passedOver());
      case ClaimRule.Taken t -> answer.complete(new Claim.Taken(r.getStatus().lastRunNow.node, t.reason()));
      case ClaimRule.Wait w -> poll(req, spec, answer, since, giveUpAt, "waited for " + w.candidate() + " in vain");
      case ClaimRule.NoLiveAgent n -> poll(req, spec, answer, since, giveUpAt, n.reason());
      case ClaimRule.Missed m -> throw new IllegalStateException("a run-now request has no starting deadline");
      case ClaimRule.TakeOver t -> throw new IllegalStateException("a run-now request is never taken over");
    }
  }

  private void poll(Request req, TaskSpec spec, Promise<Claim> answer, Instant since, Instant giveUpAt,
      String reason) {
    if (link.clock.instant().isAfter(giveUpAt)) {
      LOG.warn("task {}: run-now request {} not run here: {}", req.key(), req.runNow(), reason);
      answer.complete(new Claim.Taken(null, reason));
    } else {
      vertx.setTimer(POLL.toMillis(), id -> decide(req, spec, answer, since, giveUpAt));
    }
  }

  /** The conditional claim write: {@code status.lastRunNow}, {@code claimedFor}, {@code claimedBy}. */
  private void write(Request req, Promise<Claim> answer, java.util.List<String> passedOver) {
    vertx.executeBlocking(() -> Conflicts.retry(3, attempt -> {
      DelayedTaskResource r = attempt == 0 ? link.task(req.namespace(), req.name())
          : link.client.resources(DelayedTaskResource.class).inNamespace(req.namespace()).withName(req.name()).get();
      if (r == null) {
        return (Claim) new Claim.Taken(null, "the DelayedTask was withdrawn");
      }
      if (req.runNow().equals(handled(r))) {
        return new Claim.Taken(r.getStatus().lastRunNow.node, "request " + req.runNow() + " was run");
      }
      Instant now = link.clock.instant();
      Instant at = RunNowRule.at(now, KubeClaims.shared(r));
      Status st = Wire.copy(r.getStatus());
      st.lastRunNow = new Status.LastRunNow();
      st.lastRunNow.requestId = req.runNow();
      st.lastRunNow.at = at.toString();
      st.lastRunNow.node = link.node();
      st.claimedBy = link.node();
      st.claimedFor = at.toString();
      st.claimedAt = now.toString();
      try {
        st = DerivedStatus.of(st, Wire.read(r).spec(), r.getMetadata().getGeneration(), now); // phase Running
      } catch (TaskValidationException e) {
        return new Claim.Taken(null, "the DelayedTask is invalid");
      }
      try {
        link.wrote();
        link.client.resource(Wire.withStatus(r, st)).updateStatus(); // PUT with the resourceVersion read
      } catch (KubernetesClientException e) {
        if (Conflicts.conflict(e)) {
          throw e; // another agent wrote first: read again
        }
        link.reach.failed(e);
        return new Claim.Taken(null, "the claim could not be written: " + Problems.describe(e));
      }
      granted.put(req.key(), new Grant(req.dueAt(), req.runNow(), at));
      return new Claim.Granted(link.node());
    }, () -> new Claim.Taken(null, "the claim record kept changing")), false).onComplete(ar -> {
      if (ar.failed()) {
        link.reach.failed(ar.cause());
      }
      Claim c = ar.succeeded() ? ar.result() : new Claim.Taken(null, Problems.describe(ar.cause()));
      if (c instanceof Claim.Granted) {
        link.passedOver(passedOver);
      }
      if (c instanceof Claim.Taken t && !t.reason().endsWith("was run")) {
        LOG.warn("task {}: run-now request {} not run: {}", req.key(), req.runNow(), t.reason());
      }
      answer.complete(c);
    });
  }
}
