package dev.nodepulse.tasks.model;

import io.vertx.core.json.JsonObject;

/**
 * What the cluster shows of a task (Kubernetes mode), published by the cluster side on {@link #ADDRESS} whenever it
 * changes: {@code key} ({@code namespace/name}), {@code uid} (a DelayedTask's; null for a ConfigMap task, whose
 * status comes from its claim Lease) and {@code status} (the status as the cluster has it, with the field names of
 * docs/tasks.md; null when the cluster has none or the object is gone).
 */
public record ClusterStatus(String key, String uid, JsonObject status) {
  /** Publish, local: the cluster side tells the task pipeline (docs/architecture.md). */
  public static final String ADDRESS = "nodepulse.kube.task-status";
}
