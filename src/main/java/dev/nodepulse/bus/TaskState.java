package dev.nodepulse.bus;

import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * What the metrics show of one task, published on {@link #ADDRESS} by the task pipeline after each change of it
 * (this agent's own account, also in Kubernetes mode): its phase, the spec's generation and interval (seconds, null
 * for a one-shot), and its last finished attempt here (when and how it ended; null before the first).
 * {@code deleted}: the task is gone, its series go with it.
 */
public record TaskState(String namespace, String name, long generation, String phase, Double intervalSeconds,
    Instant lastFinishedAt, String lastOutcome, boolean deleted) {
  public static final String ADDRESS = "nodepulse.tasks.state";

  public String key() {
    return namespace + "/" + name;
  }

  public JsonObject toJson() {
    return new JsonObject().put("namespace", namespace).put("name", name).put("generation", generation)
        .put("phase", phase).put("intervalSeconds", intervalSeconds)
        .put("lastFinishedAt", lastFinishedAt == null ? null : lastFinishedAt.toString())
        .put("lastOutcome", lastOutcome).put("deleted", deleted);
  }

  public static TaskState fromJson(JsonObject json) {
    return new TaskState(json.getString("namespace"), json.getString("name"), json.getLong("generation", 0L),
        json.getString("phase"), json.getDouble("intervalSeconds"),
        json.getString("lastFinishedAt") == null ? null : Instant.parse(json.getString("lastFinishedAt")),
        json.getString("lastOutcome"), json.getBoolean("deleted", false));
  }
}
