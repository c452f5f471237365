package dev.nodepulse.kube;

import dev.nodepulse.kube.wire.Wire;
import dev.nodepulse.tasks.model.Declaration;
import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.TaskSpec;
import dev.nodepulse.tasks.model.TaskValidationException;
import dev.nodepulse.tasks.source.Pipeline;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.time.Instant;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * ConfigMaps labelled {@code nodepulse.dev/tasks: "true"} into the pipeline: each data key is one task's spec in
 * YAML, named {@code <configmap>.<key>}, origin {@code CONFIGMAP <ns>/<configmap>:<key>}. A bad entry fails alone
 * (a Failed task, and a Warning Event on the ConfigMap naming the key and the field); the others run. A key that
 * disappears, or the whole ConfigMap, is withdrawn (and its claim Lease deleted, by one agent).
 */
final class ConfigMapSource implements TaskInformers.Listener<ConfigMap> {
  /** A ConfigMap task as the claims need it: its spec, when the ConfigMap was last written, the ConfigMap. */
  record Entry(TaskSpec spec, Instant writtenAt, ConfigMap configMap) {}

  private final Vertx vertx;
  private final Context context;
  private final Pipeline pipeline;
  private final KubeLink link;
  /** Keys declared per ConfigMap ({@code ns/name}) and the entry text last warned about. */
  private final Map<String, Set<String>> keys = new ConcurrentHashMap<>();
  private final Map<String, String> warned = new ConcurrentHashMap<>();

  ConfigMapSource(Vertx vertx, Context context, KubeLink link) {
    this.vertx = vertx;
    this.context = context;
    this.pipeline = new Pipeline(vertx);
    this.link = link;
  }

  static Origin origin(String ns, String configMap, String key) {
    return new Origin(Origin.Kind.CONFIGMAP, ns + "/" + configMap + ":" + key, 0);
  }

  @Override
  public void upsert(ConfigMap cm) {
    String ns = cm.getMetadata().getNamespace();
    String cmName = cm.getMetadata().getName();
    Map<String, String> data = cm.getData() == null ? Map.of() : new TreeMap<>(cm.getData());
    Instant writtenAt = Wire.specWrittenAt(cm.getMetadata()); // a ConfigMap has no status: every write counts
    Set<String> now = new HashSet<>(data.keySet());
    Set<String> before = keys.put(ns + "/" + cmName, now);
    if (before != null) {
      for (String gone : before) {
        if (!now.contains(gone)) {
          withdraw(ns, cmName, gone);
        }
      }
    }
    for (Map.Entry<String, String> e : data.entrySet()) {
      String name = cmName + "." + e.getKey();
      Origin origin = origin(ns, cmName, e.getKey());
      Declaration d;
      try {
        DelayedTask t = Wire.read(ns, name, 1, e.getValue());
        link.configMapTasks.put(ns + "/" + name, new Entry(t.spec(), writtenAt, cm));
        d = Declaration.of(origin, t, writtenAt);
        warned.remove(origin.id());
      } catch (TaskValidationException ex) {
        String message = "ConfigMap " + ns + "/" + cmName + " key " + e.getKey() + ": " + Wire.message(ex);
        d = Declaration.invalid(origin, ns, name, message);
        if (!message.equals(warned.put(origin.id(), message)) && link.speaksFor(origin.id() + "@" + message.hashCode())) {
          vertx.executeBlocking(() -> {
            Events.emit(link, cm, "Warning", "InvalidTask", message);
            return null;
          }, false);
        }
      }
      Declaration declared = d;
      context.runOnContext(v -> pipeline.declare(declared));
    }
  }

  @Override
  public void delete(ConfigMap cm) {
    Set<String> before = keys.remove(cm.getMetadata().getNamespace() + "/" + cm.getMetadata().getName());
    if (before != null) {
      before.forEach(k -> withdraw(cm.getMetadata().getNamespace(), cm.getMetadata().getName(), k));
    }
  }

  private void withdraw(String ns, String cmName, String key) {
    String name = cmName + "." + key;
    link.configMapTasks.remove(ns + "/" + name);
    link.withdrawn.accept(ns + "/" + name);
    ClaimLeases leases = link.claimLeases;
    if (leases != null && link.speaksFor(ns + "/" + name + "@withdrawn")) { // one agent deletes its claim Lease
      vertx.executeBlocking(() -> {
        leases.delete(ns + "/" + name);
        return null;
      }, false);
    }
    warned.remove(origin(ns, cmName, key).id());
    context.runOnContext(v -> pipeline.withdraw(origin(ns, cmName, key), ns + "/" + name));
  }

  void synced() {
    context.runOnContext(v -> pipeline.synced(Origin.Kind.CONFIGMAP));
  }
}
