package dev.nodepulse.tasks.model;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * A DelayedTask (docs/tasks.md): metadata, spec, status. {@code spec} is null only for a task that could not be
 * read (its status is Failed and a condition says why, naming the file and the field).
 */
@JsonPropertyOrder({"apiVersion", "kind", "metadata", "spec", "status"})
public record DelayedTask(TaskMetadata metadata, TaskSpec spec, TaskStatus status) {
  public static final String API_VERSION = "nodepulse.dev/v1alpha1";
  public static final String KIND = "DelayedTask";

  @JsonProperty
  String apiVersion() {
    return API_VERSION;
  }

  @JsonProperty
  String kind() {
    return KIND;
  }

  public String key() {
    return metadata.key();
  }

  public DelayedTask withStatus(TaskStatus s) {
    return new DelayedTask(metadata, spec, s);
  }
}
