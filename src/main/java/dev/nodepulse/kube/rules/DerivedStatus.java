package dev.nodepulse.kube.rules;

import dev.nodepulse.kube.wire.Wire;
import dev.nodepulse.config.Durations;
import dev.nodepulse.kube.crd.Status;
import dev.nodepulse.tasks.model.Schedule;
import dev.nodepulse.tasks.model.TaskSpec;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A DelayedTask's status derived from its facts, in one place. The facts are what the agents record: the claim
 * ({@code claimedBy}, {@code claimedFor}), the latest run and the counters of a {@code nodes: one} task, each node's
 * entry of a {@code nodes: all} task, {@code nextRunAt}, {@code progress}. The rest follows from them and the spec:
 * {@code phase}, {@code schedule} (in words), {@code summary}, {@code observedGeneration}, the conditions
 * {@code Ready}, {@code Scheduled}, {@code Failed} and {@code Suspended} (from {@code spec.suspend}; False once
 * resumed) (Kubernetes API conventions: {@code lastTransitionTime} moves
 * only when a condition's status changes; conditions of other types are kept), and for {@code nodes: all} the
 * top-level {@code runs}, {@code attempts}, {@code missed}, {@code skipped}, {@code lastRun} and {@code claimedBy}, which
 * summarize {@code nodes[]}.
 * Pure: every writer calls it on what it is about to write; deriving what it derived changes nothing, whatever
 * the time.
 */
public final class DerivedStatus {
  private static final int EXCERPT = 256;
  private static final Set<String> OWN = Set.of("Ready", "Scheduled", "Failed", "Suspended");

  private DerivedStatus() {}

  /** The status with every derived field set from {@code facts} (not changed), the spec and its generation. */
  public static Status of(Status facts, TaskSpec spec, Long generation, Instant now) {
    Status st = Wire.copy(facts);
    boolean all = spec.nodes() == TaskSpec.Nodes.ALL;
    boolean oneShot = spec.timing().oneShot();
    List<Status.NodeStatus> nodes = all && st.nodes != null ? sorted(st.nodes) : List.of();
    if (all) {
      st.runs = nodes.stream().mapToLong(n -> n.runs == null ? 0 : n.runs).sum();
      st.attempts = nodes.stream().mapToLong(n -> n.attempts == null ? 0 : n.attempts).sum();
      long missed = nodes.stream().mapToLong(n -> n.missed == null ? 0 : n.missed).sum();
      long skipped = nodes.stream().mapToLong(n -> n.skipped == null ? 0 : n.skipped).sum();
      st.missed = missed > 0 ? missed : null;
      st.skipped = skipped > 0 ? skipped : null;
      st.lastRun = nodes.stream().map(n -> n.lastRun).filter(r -> r != null)
          .max(Comparator.comparing((Status.LastRun r) -> time(r.dueAt)).thenComparing(r -> time(r.finishedAt))
              .thenComparing(r -> r.node == null ? "" : r.node))
          .map(Wire.JSON::clone).orElse(null);
      st.claimedBy = st.lastRun == null ? null : st.lastRun.node;
      st.progress = null;
    }
    st.schedule = describe(spec.timing());
    st.observedGeneration = generation;
    st.phase = all ? nodesPhase(nodes, oneShot, st.nextRunAt) : onePhase(st, oneShot);
    st.summary = all ? nodesSummary(nodes) : oneSummary(st);
    st.conditions = conditions(st, nodes, all, oneShot, spec.suspend(), generation, now);
    return st;
  }

  /**
   * The status of a spec the agents refuse: phase Failed, {@code Ready} False with the message (reason
   * {@code InvalidSpec}); the other facts are kept.
   */
  public static Status invalid(Status facts, String message, Long generation, Instant now) {
    Status st = Wire.copy(facts);
    List<Condition> before = st.conditions == null ? List.of() : st.conditions;
    st.phase = Status.Phase.Failed;
    st.observedGeneration = generation;
    st.nextRunAt = null;
    st.summary = "invalid spec";
    st.conditions = List.of(condition(before, "Ready", false, "InvalidSpec", clip(message), generation, now));
    return st;
  }

  /**
   * {@code nodes: one}: running while a claim is later than the latest run; a one-shot ends with its run (not with
   * a run-now run before it: its due time is still in {@code nextRunAt}).
   */
  private static Status.Phase onePhase(Status st, boolean oneShot) {
    if (running(st)) {
      return Status.Phase.Running;
    }
    if (st.lastRun == null) {
      return st.nextRunAt != null ? Status.Phase.Scheduled : Status.Phase.Pending;
    }
    Instant next = Wire.instant(st.nextRunAt);
    if (!oneShot || next != null && next.isAfter(Wire.instant(st.lastRun.dueAt))) {
      return Status.Phase.Scheduled; // a one-shot whose run is still planned after a run-now run
    }
    return succeeded(st.lastRun) ? Status.Phase.Succeeded : Status.Phase.Failed;
  }

  private static boolean running(Status st) {
    Instant claimed = Wire.instant(st.claimedFor);
    Instant ran = st.lastRun == null ? null : Wire.instant(st.lastRun.dueAt);
    return claimed != null && (ran == null || claimed.isAfter(ran));
  }

  /** {@code nodes: all}: running on any node is running; a one-shot succeeded when it succeeded on every node. */
  private static Status.Phase nodesPhase(List<Status.NodeStatus> nodes, boolean oneShot, String nextRunAt) {
    if (nodes.isEmpty()) {
      return nextRunAt != null ? Status.Phase.Scheduled : Status.Phase.Pending;
    }
    if (nodes.stream().anyMatch(n -> n.phase == Status.Phase.Running)) {
      return Status.Phase.Running;
    }
    if (!oneShot) {
      return Status.Phase.Scheduled;
    }
    return nodes.stream().allMatch(n -> n.lastRun != null && succeeded(n.lastRun)) ? Status.Phase.Succeeded
        : Status.Phase.Failed;
  }

  private static String oneSummary(Status st) {
    if (running(st)) {
      return "running on " + st.claimedBy;
    }
    if (st.lastRun == null) {
      return "not run yet";
    }
    return word(st.lastRun.outcome) + (st.lastRun.node == null ? "" : " on " + st.lastRun.node);
  }

  /** {@code 3/3 nodes succeeded}; {@code 1/3 nodes succeeded, 2 failed (node-2, node-3)}. */
  public static String nodesSummary(List<Status.NodeStatus> nodes) {
    if (nodes.isEmpty()) {
      return "no node has run it yet";
    }
    long ok = nodes.stream().filter(n -> n.lastRun != null && succeeded(n.lastRun)).count();
    Map<String, List<String>> others = new LinkedHashMap<>();
    for (Status.NodeStatus n : nodes) {
      if (n.lastRun == null || !succeeded(n.lastRun)) {
        String w = n.lastRun != null ? word(n.lastRun.outcome) : n.phase == null ? "pending" : word(n.phase.name());
        others.computeIfAbsent(w, k -> new ArrayList<>()).add(n.node);
      }
    }
    StringBuilder s = new StringBuilder().append(ok).append('/').append(nodes.size())
        .append(nodes.size() == 1 ? " node succeeded" : " nodes succeeded");
    others.forEach((w, names) -> s.append(", ").append(names.size()).append(' ').append(w).append(" (")
        .append(String.join(", ", names.subList(0, Math.min(3, names.size()))))
        .append(names.size() > 3 ? ", …)" : ")"));
    return s.toString();
  }

  /** True when the status's {@code Suspended} condition does not say what {@code spec.suspend} says. */
  public static boolean suspendShownWrong(Status st, TaskSpec spec) {
    String shown = st == null || st.conditions == null ? null : st.conditions.stream()
        .filter(c -> "Suspended".equals(c.getType())).map(Condition::getStatus).findFirst().orElse(null);
    return spec.suspend() != "True".equals(shown);
  }

  private static List<Condition> conditions(Status st, List<Status.NodeStatus> nodes, boolean all, boolean oneShot,
      boolean suspend, Long generation, Instant now) {
    List<Condition> before = st.conditions == null ? List.of() : st.conditions;
    List<Condition> out = new ArrayList<>();
    out.add(condition(before, "Ready", true, "Accepted", "the spec is valid", generation, now));
    boolean finished = oneShot && (st.phase == Status.Phase.Succeeded || st.phase == Status.Phase.Failed);
    out.add(!oneShot ? condition(before, "Scheduled", true, "NextRunPlanned", "a next run is planned", generation, now)
        : finished ? condition(before, "Scheduled", false, "Finished", "a one-shot task does not run again",
            generation, now)
        : condition(before, "Scheduled", true, "RunPlanned", "its one run is to come or running", generation, now));
    if (all) {
      List<Status.NodeStatus> failing = nodes.stream().filter(n -> n.lastRun != null && !succeeded(n.lastRun)).toList();
      if (!failing.isEmpty()) {
        out.add(condition(before, "Failed", true, reason(failing.get(0).lastRun.outcome), clip(String.join("; ",
            failing.stream().map(n -> "on " + n.node + ": " + error(n.lastRun)).toList())), generation, now));
      } else if (st.lastRun != null) {
        out.add(condition(before, "Failed", false, "Succeeded", "the last run succeeded on every node", generation,
            now));
      }
    } else if (st.lastRun != null) {
      boolean failed = !succeeded(st.lastRun);
      out.add(condition(before, "Failed", failed, reason(st.lastRun.outcome),
          failed ? clip(error(st.lastRun)) : "the last run succeeded", generation, now));
    }
    if (suspend) {
      out.add(condition(before, "Suspended", true, "Suspended", "spec.suspend is true: no new runs; due times are "
          + "skipped on purpose" + (oneShot ? " (a one-shot waits and runs when resumed)" : ""), generation, now));
    } else if (before.stream().anyMatch(c -> "Suspended".equals(c.getType()))) {
      out.add(condition(before, "Suspended", false, "Resumed", "spec.suspend is false: runs as scheduled", generation,
          now));
    }
    for (Condition c : before) {
      if (!OWN.contains(c.getType())) {
        out.add(c); // another writer's condition
      }
    }
    return out;
  }

  private static Condition condition(List<Condition> before, String type, boolean status, String reason,
      String message, Long generation, Instant now) {
    String s = status ? "True" : "False";
    String since = now.toString();
    for (Condition c : before) {
      if (type.equals(c.getType()) && s.equals(c.getStatus()) && c.getLastTransitionTime() != null) {
        since = c.getLastTransitionTime();
      }
    }
    return new ConditionBuilder().withType(type).withStatus(s).withReason(reason).withMessage(message)
        .withObservedGeneration(generation).withLastTransitionTime(since).build();
  }

  /** The timing in words: {@code delay 30s}, {@code at <time>}, {@code every 5m}, or the cron expression. */
  public static String describe(Schedule timing) {
    return switch (timing) {
      case Schedule.Delay d -> "delay " + Durations.format(d.delay());
      case Schedule.At a -> "at " + a.at();
      case Schedule.Every e -> "every " + Durations.format(e.every());
      case Schedule.Cron c -> c.expression() + (c.zone().getId().equals("Z") ? "" : " (" + c.zone().getId() + ")");
    };
  }

  public static String clip(String s) {
    return s == null || s.length() <= EXCERPT ? s : s.substring(0, EXCERPT) + "…";
  }

  private static List<Status.NodeStatus> sorted(List<Status.NodeStatus> nodes) {
    return nodes.stream().filter(n -> n.node != null).sorted(Comparator.comparing(n -> n.node)).toList();
  }

  private static boolean succeeded(Status.LastRun r) {
    return "SUCCEEDED".equals(r.outcome);
  }

  private static String error(Status.LastRun r) {
    return r.error != null ? r.error : word(r.outcome);
  }

  /** An outcome as a condition's reason: {@code Succeeded}, {@code Failed}, {@code Lost}. */
  private static String reason(String outcome) {
    String o = outcome == null || outcome.isEmpty() ? "Unknown" : outcome;
    return o.charAt(0) + o.substring(1).toLowerCase(Locale.ROOT);
  }

  private static String word(String outcome) {
    return outcome == null ? "unknown" : outcome.toLowerCase(Locale.ROOT);
  }

  private static Instant time(String rfc3339) {
    Instant t = Wire.instant(rfc3339);
    return t == null ? Instant.EPOCH : t;
  }
}
