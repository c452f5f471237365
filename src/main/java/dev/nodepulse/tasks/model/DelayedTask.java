package dev.nodepulse.tasks.model;

/**
 * A DelayedTask (docs/tasks.md): metadata, spec, status. {@code spec} is null only for a task that could not be
 * read (its status is Failed and a condition says why, naming the file and the field).
 */
public record DelayedTask(TaskMetadata metadata, TaskSpec spec, TaskStatus status) {
  public static final String API_VERSION = "nodepulse.dev/v1alpha1";
  public static final String KIND = "DelayedTask";

  public String key() {
    return metadata.key();
  }

  public DelayedTask withStatus(TaskStatus s) {
    return new DelayedTask(metadata, spec, s);
  }
}
