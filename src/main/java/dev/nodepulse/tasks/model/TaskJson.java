package dev.nodepulse.tasks.model;

import dev.nodepulse.config.Durations;
import dev.nodepulse.util.Sha256;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.TreeMap;

/**
 * Writes the records as JSON with the field names of docs/tasks.md and openapi.yaml: the REST answers, the page's
 * {@code nodepulse.tasks.changed}, and what the task store keeps. Reading is {@link TaskReader}'s.
 */
public final class TaskJson {
  private TaskJson() {}

  /** The DelayedTask as JSON with docs/tasks.md's field names; null fields left out. */
  public static JsonObject toJson(DelayedTask t) {
    JsonObject o = new JsonObject().put("apiVersion", DelayedTask.API_VERSION).put("kind", DelayedTask.KIND)
        .put("metadata", metadataJson(t.metadata()));
    if (t.spec() != null) {
      o.put("spec", specJson(t.spec()));
    }
    if (t.status() != null) {
      o.put("status", statusJson(t.status()));
    }
    return o;
  }

  /** The object without status, as a source would post it (what is persisted for REST tasks). */
  public static JsonObject toObjectJson(DelayedTask t) {
    JsonObject o = toJson(t);
    o.remove("status");
    return o;
  }

  static JsonObject metadataJson(TaskMetadata m) {
    JsonObject o = new JsonObject().put("name", m.name()).put("namespace", m.namespace())
        .put("generation", m.generation());
    putIf(o, "uid", m.uid());
    putIf(o, "resourceVersion", m.resourceVersion());
    if (!m.labels().isEmpty()) {
      o.put("labels", new JsonObject(new TreeMap<>(m.labels())));
    }
    return o;
  }

  public static JsonObject specJson(TaskSpec s) {
    JsonObject o = new JsonObject();
    putIf(o, "title", s.title());
    switch (s.timing()) {
      case Schedule.Delay d -> o.put("delay", Durations.format(d.delay()));
      case Schedule.At a -> o.put("at", a.at().toString());
      case Schedule.Every e -> o.put("every", Durations.format(e.every()));
      case Schedule.Cron c -> {
        o.put("schedule", c.expression());
        if (!c.zone().equals(ZoneOffset.UTC)) {
          o.put("timeZone", c.zone().getId());
        }
      }
    }
    o.put("target", new JsonObject().put(s.target().type(), targetJson(s.target())));
    o.put("nodes", s.nodes().name().toLowerCase(Locale.ROOT));
    if (!s.nodeSelector().isEmpty()) {
      o.put("nodeSelector", new JsonObject(new TreeMap<>(s.nodeSelector())));
    }
    o.put("retry", new JsonObject().put("limit", s.retry().limit())
        .put("backoff", Durations.format(s.retry().backoff())));
    if (s.startingDeadline() != null) {
      o.put("startingDeadline", Durations.format(s.startingDeadline()));
    }
    if (!s.jitter().isZero()) { // absent when zero: the hash of a spec without jitter stays what it was
      o.put("jitter", Durations.format(s.jitter()));
    }
    if (s.missedRuns() != TaskSpec.MissedRuns.RunLatest) { // the default is left out: specHash of older tasks stays
      o.put("missedRuns", s.missedRuns().name());
    }
    if (s.suspend()) {
      o.put("suspend", true);
    }
    if (s.concurrencyPolicy() != TaskSpec.ConcurrencyPolicy.Forbid) { // the default is left out: hashes stay
      o.put("concurrencyPolicy", s.concurrencyPolicy().name());
    }
    if (s.history() != Limits.HISTORY_DEFAULT) { // as above
      o.put("history", s.history());
    }
    if (s.ttlAfterFinished() != null) {
      o.put("ttlAfterFinished", Durations.format(s.ttlAfterFinished()));
    }
    return o;
  }

  static JsonObject targetJson(Target t) {
    return switch (t) {
      case Target.Http h -> {
        JsonObject o = new JsonObject().put("url", h.url()).put("method", h.method());
        if (!h.headers().isEmpty()) {
          JsonObject hs = new JsonObject();
          new TreeMap<>(h.headers()).forEach((k, v) -> hs.put(k, switch (v) {
            case Target.Plain p -> p.value();
            case Target.SecretKeyRef r -> new JsonObject().put("valueFrom", new JsonObject().put("secretKeyRef",
                new JsonObject().put("name", r.name()).put("key", r.key())));
            case Target.EnvRef e -> new JsonObject().put("valueFrom", new JsonObject().put("env", e.name()));
          }));
          o.put("headers", hs);
        }
        putIf(o, "body", h.body());
        o.put("timeout", Durations.format(h.timeout()));
        if (h.insecureSkipTlsVerify()) {
          o.put("insecureSkipTlsVerify", true);
        }
        if (h.maxRedirects() != 0) {
          o.put("maxRedirects", h.maxRedirects());
        }
        yield o;
      }
      case Target.Tcp c -> new JsonObject().put("address", c.address()).put("payload", c.payload())
          .put("readReply", c.readReply()).put("timeout", Durations.format(c.timeout()));
      case Target.Pipe p -> new JsonObject().put("name", p.name()).put("data", p.data())
          .put("timeout", Durations.format(p.timeout()));
      case Target.Compute c -> new JsonObject().put("pi", new JsonObject().put("digits", c.piDigits()));
    };
  }

  public static JsonObject statusJson(TaskStatus s) {
    JsonObject o = new JsonObject().put("phase", s.phase().name());
    putIf(o, "nextRunAt", time(s.nextRunAt()));
    if (!s.nextRuns().isEmpty()) {
      o.put("nextRuns", new JsonArray(s.nextRuns().stream().map(Instant::toString).toList()));
    }
    o.put("runs", s.runs()).put("attempts", s.attempts());
    putIf(o, "claimedBy", s.claimedBy());
    o.put("observedGeneration", s.observedGeneration());
    JsonArray conds = new JsonArray();
    for (TaskStatus.Condition c : s.conditions()) {
      JsonObject co = new JsonObject().put("type", c.type()).put("status", c.status());
      putIf(co, "reason", c.reason());
      putIf(co, "message", c.message());
      putIf(co, "lastTransitionTime", time(c.lastTransitionTime()));
      conds.add(co);
    }
    o.put("conditions", conds);
    if (s.lastRun() != null) {
      o.put("lastRun", lastRunJson(s.lastRun()));
    }
    if (s.progress() != null) {
      o.put("progress", new JsonObject().put("percent", s.progress().percent())
          .put("intermediate", s.progress().intermediate()));
    }
    if (!s.nodes().isEmpty()) {
      JsonArray ns = new JsonArray();
      for (TaskStatus.NodeStatus n : s.nodes()) {
        JsonObject no = new JsonObject().put("node", n.node()).put("phase", n.phase().name());
        if (n.lastRun() != null) {
          no.put("lastRun", lastRunJson(n.lastRun()));
        }
        ns.add(no);
      }
      o.put("nodes", ns);
    }
    if (s.missed() > 0) {
      o.put("missed", s.missed());
    }
    if (s.lastMissed() != null) {
      o.put("lastMissed", lastMissedJson(s.lastMissed()));
    }
    if (s.skipped() > 0) {
      o.put("skipped", s.skipped());
    }
    if (s.lastSkipped() != null) {
      o.put("lastSkipped", lastMissedJson(s.lastSkipped()));
    }
    return o;
  }

  public static JsonObject lastRunJson(TaskStatus.LastRun r) {
    JsonObject o = new JsonObject();
    putIf(o, "startedAt", time(r.startedAt()));
    putIf(o, "finishedAt", time(r.finishedAt()));
    o.put("durationMs", r.durationMs());
    putIf(o, "node", r.node());
    o.put("outcome", r.outcome().name());
    putIf(o, "httpStatus", r.httpStatus());
    o.put("bytes", r.bytes());
    putIf(o, "result", r.result());
    putIf(o, "error", r.error());
    return o;
  }

  public static JsonObject lastMissedJson(TaskStatus.LastMissed m) {
    return new JsonObject().put("from", time(m.from())).put("to", time(m.to())).put("count", m.count())
        .put("reason", m.reason());
  }

  /** Reads back what {@link #lastMissedJson} wrote (persistence); null for null. */
  public static TaskStatus.LastMissed lastMissedFrom(JsonObject o) {
    if (o == null) {
      return null;
    }
    return new TaskStatus.LastMissed(instant(o.getString("from")), instant(o.getString("to")),
        o.getLong("count", 0L), o.getString("reason"));
  }

  /** Reads back what {@link #lastRunJson} wrote (persistence); null for null. */
  public static TaskStatus.LastRun lastRunFrom(JsonObject o) {
    if (o == null) {
      return null;
    }
    return new TaskStatus.LastRun(instant(o.getString("startedAt")), instant(o.getString("finishedAt")),
        o.getLong("durationMs", 0L), o.getString("node"), RunResult.Outcome.valueOf(o.getString("outcome")),
        o.getInteger("httpStatus"), o.getLong("bytes", 0L), o.getString("result"), o.getString("error"));
  }

  /** A stable hash of the spec (its canonical JSON), to tell an edited task from the same one. */
  public static String specHash(TaskSpec s) {
    JsonObject spec = specJson(s);
    spec.remove("suspend"); // pausing and resuming keep the schedule and the state (docs/tasks.md)
    spec.remove("ttlAfterFinished"); // a finished task whose ttl is changed is not run again
    return Sha256.hex(spec.encode(), 16);
  }

  private static String time(Instant i) {
    return i == null ? null : i.toString();
  }

  private static Instant instant(String s) {
    return s == null ? null : Instant.parse(s);
  }

  private static void putIf(JsonObject o, String k, Object v) {
    if (v != null) {
      o.put(k, v);
    }
  }
}
