package dev.nodepulse.kube.wire;

import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.kube.crd.Status;
import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.FieldError;
import dev.nodepulse.tasks.model.TaskReader;
import dev.nodepulse.tasks.model.TaskValidationException;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.stream.Collectors;

/**
 * From the wire to the pipeline's records: a DelayedTask object or a ConfigMap entry is handed to the pipeline's
 * one reader ({@link TaskReader}) as JSON; its errors name the field.
 */
public final class Wire {

  private Wire() {}

  /** A DelayedTask resource read into the pipeline's record (metadata trimmed to what the reader accepts). */
  public static DelayedTask read(DelayedTaskResource r) throws TaskValidationException {
    JsonObject spec = r.getSpec() == null ? null : new JsonObject(JSON.asJson(r.getSpec()));
    return TaskReader.read(document(r.getMetadata().getNamespace(), r.getMetadata().getName(),
        r.getMetadata().getGeneration(), r.getMetadata().getUid(), r.getMetadata().getResourceVersion(),
        spec).encode(), TaskReader.Format.JSON);
  }

  /** A ConfigMap entry (a spec in YAML) read into the pipeline's record, named {@code <configmap>.<key>}. */
  public static DelayedTask read(String namespace, String name, long generation, String specYaml)
      throws TaskValidationException {
    StringBuilder y = new StringBuilder("apiVersion: ").append(DelayedTask.API_VERSION).append("\nkind: ")
        .append(DelayedTask.KIND).append("\nmetadata:\n  name: ").append(JSON.asJson(name))
        .append("\n  namespace: ").append(JSON.asJson(namespace)).append("\n  generation: ").append(generation)
        .append("\nspec:\n");
    for (String line : specYaml.split("\n", -1)) {
      y.append("  ").append(line).append('\n');
    }
    return TaskReader.read(y.toString(), TaskReader.Format.YAML);
  }

  private static JsonObject document(String ns, String name, Long generation, String uid, String rv, JsonObject spec) {
    JsonObject md = new JsonObject().put("name", name).put("namespace", ns);
    if (generation != null) {
      md.put("generation", generation);
    }
    if (uid != null) {
      md.put("uid", uid);
    }
    if (rv != null) {
      md.put("resourceVersion", rv);
    }
    JsonObject doc = new JsonObject().put("apiVersion", DelayedTask.API_VERSION).put("kind", DelayedTask.KIND)
        .put("metadata", md);
    if (spec != null) {
      doc.put("spec", spec);
    }
    return doc;
  }

  /** The errors as one line: {@code spec.delay: ...; spec.target: ...}. */
  public static String message(TaskValidationException e) {
    return e.errors().stream().map(FieldError::toString).collect(Collectors.joining("; "));
  }

  /**
   * When the current spec was written, as every agent sees it: the newest non-status write in managedFields, else
   * the creation time. Delays and intervals count from here, so all agents agree on the due times.
   */
  public static Instant specWrittenAt(DelayedTaskResource r) {
    return specWrittenAt(r.getMetadata());
  }

  /** {@link #specWrittenAt(DelayedTaskResource)} for any object: a DelayedTask, or a ConfigMap holding tasks. */
  public static Instant specWrittenAt(ObjectMeta meta) {
    Instant at = instant(meta.getCreationTimestamp());
    if (meta.getManagedFields() != null) {
      for (ManagedFieldsEntry m : meta.getManagedFields()) {
        if (!"status".equals(m.getSubresource()) && m.getTime() != null) {
          Instant t = instant(m.getTime());
          if (t != null && (at == null || t.isAfter(at))) {
            at = t;
          }
        }
      }
    }
    return at;
  }

  public static Instant instant(String rfc3339) {
    if (rfc3339 == null) {
      return null;
    }
    try {
      return OffsetDateTime.parse(rfc3339).toInstant();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /** The client's own serialization: the CRD's classes as JSON, and copies of them. */
  public static final KubernetesSerialization JSON = new KubernetesSerialization();

  public static Status copy(Status s) {
    return s == null ? new Status() : JSON.clone(s);
  }

  public static DelayedTaskResource withStatus(DelayedTaskResource r, Status st) {
    DelayedTaskResource copy = JSON.clone(r);
    copy.setStatus(st);
    return copy;
  }
}
