package dev.nodepulse.tasks.model;

import java.util.Objects;

/**
 * What a source tells the task pipeline (on {@code nodepulse.tasks.declare}, as this record through a local
 * codec): a validated task, or why the declaration could not be read. Sources validate with
 * {@link TaskReader}; the pipeline never parses again.
 *
 * <p>{@code anchor}: when the object that declares the task was written, where a cluster keeps it (a DelayedTask's
 * spec, a ConfigMap), so that a delay or an interval counts from the same instant on every agent and after any
 * restart (docs/tasks.md); null where the source has no such time (a file, REST): the pipeline counts from when it
 * first saw the task.
 *
 * <p>Exactly one of {@code task} and {@code invalid} is set. An invalid declaration becomes a Failed task named
 * {@code invalid.namespace()/invalid.name()} whose condition carries the message (which names the file or
 * object and the field, never its content).
 */
public record Declaration(Origin origin, DelayedTask task, Invalid invalid, java.time.Instant anchor) {

  /** A declaration that could not be read: the name it is shown under and what is wrong. */
  public record Invalid(String namespace, String name, String message) {
    public String key() {
      return namespace + "/" + name;
    }
  }

  public Declaration {
    Objects.requireNonNull(origin, "origin");
    if ((task == null) == (invalid == null)) {
      throw new IllegalArgumentException("exactly one of task and invalid");
    }
    if (task != null && task.spec() == null) {
      throw new IllegalArgumentException("a declared task has a spec");
    }
  }

  public static Declaration of(Origin origin, DelayedTask task) {
    return new Declaration(origin, task, null, null);
  }

  /** A task whose schedule counts from {@code anchor}, the time its object was written in the cluster. */
  public static Declaration of(Origin origin, DelayedTask task, java.time.Instant anchor) {
    return new Declaration(origin, task, null, anchor);
  }

  public static Declaration invalid(Origin origin, String namespace, String name, String message) {
    return new Declaration(origin, null, new Invalid(namespace, name, message), null);
  }

  /** The task's table key, {@code namespace/name}. */
  public String key() {
    return task != null ? task.key() : invalid.key();
  }
}
