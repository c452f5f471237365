package dev.nodepulse.tasks.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import java.util.Map;

/** A DelayedTask's {@code metadata}; {@code uid} and {@code resourceVersion} are null outside a cluster. */
public record TaskMetadata(String name, String namespace, long generation, String uid, String resourceVersion,
    @JsonInclude(Include.NON_EMPTY) Map<String, String> labels) {
  public TaskMetadata {
    labels = Map.copyOf(labels);
  }

  /** The table key, {@code namespace/name}. */
  public String key() {
    return namespace + "/" + name;
  }

  public TaskMetadata withGeneration(long g) {
    return new TaskMetadata(name, namespace, g, uid, resourceVersion, labels);
  }
}
