package dev.nodepulse.bus;

import io.vertx.core.json.JsonObject;

/**
 * One attempt of a task that ended, or a burst of due times that did not run, as the task pipeline publishes it on
 * {@link #ADDRESS} (the metrics' run counters and histograms; the page's chart of run durations, through the SockJS
 * bridge, as JSON). {@code outcome} is lower case: succeeded, failed, timeout, denied, cancelled, missed, skipped.
 * A burst ({@code count} due times missed or skipped at once) has no duration nor lateness; an attempt counts one.
 */
public record TaskRun(String namespace, String name, String target, String outcome, Double durationSeconds,
    Double latenessSeconds, long count) {
  public static final String ADDRESS = "nodepulse.tasks.run";

  /** One attempt that ended. */
  public static TaskRun attempt(String namespace, String name, String target, String outcome, double durationSeconds,
      double latenessSeconds) {
    return new TaskRun(namespace, name, target, outcome, durationSeconds, latenessSeconds, 1);
  }

  /** {@code count} due times not run at once ({@code outcome} missed or skipped). */
  public static TaskRun burst(String namespace, String name, String target, String outcome, long count) {
    return new TaskRun(namespace, name, target, outcome, null, null, count);
  }

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("namespace", namespace).put("name", name).put("target", target)
        .put("outcome", outcome);
    if (durationSeconds == null) {
      return json.put("count", count);
    }
    return json.put("durationSeconds", durationSeconds).put("latenessSeconds", latenessSeconds);
  }

  /** The record of {@link #toJson}; a missing or mistyped field reads as unknown, never as a wrong figure. */
  public static TaskRun fromJson(JsonObject json) {
    Double duration = json.getValue("durationSeconds") instanceof Number n ? n.doubleValue() : null;
    Double lateness = json.getValue("latenessSeconds") instanceof Number n ? n.doubleValue() : null;
    long count = json.getValue("count") instanceof Number n ? n.longValue() : 1;
    return new TaskRun(text(json, "namespace"), text(json, "name"), text(json, "target"), text(json, "outcome"),
        duration, lateness, count);
  }

  private static String text(JsonObject json, String key) {
    return json.getValue(key) instanceof String s ? s : null;
  }
}
