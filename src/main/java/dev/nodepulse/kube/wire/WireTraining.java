package dev.nodepulse.kube.wire;

import dev.nodepulse.kube.crd.DelayedTaskResource;
import com.fasterxml.jackson.core.type.TypeReference;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapList;
import io.fabric8.kubernetes.api.model.DefaultKubernetesResourceList;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseList;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.Map;

/**
 * For the AOT cache of Kubernetes mode ({@code dev.nodepulse.AotTraining kubernetes}): the objects an agent reads
 * from the API server (a DelayedTask of each target kind, a tasks ConfigMap, Leases, Events) read and written
 * once through the client's serialization and the pipeline's reader, as the informers and the status writes do.
 * No API server answers at image build, so this is the part of the wire the training can still go through.
 */
public final class WireTraining {
  private static final String TASKS = """
      {"apiVersion": "nodepulse.dev/v1alpha1", "kind": "DelayedTaskList", "metadata": {"resourceVersion": "7"},
       "items": [
        {"apiVersion": "nodepulse.dev/v1alpha1", "kind": "DelayedTask",
         "metadata": {"name": "http", "namespace": "default", "uid": "u1", "resourceVersion": "3", "generation": 1,
          "creationTimestamp": "2026-01-01T00:00:00Z", "labels": {"team": "sre"},
          "managedFields": [{"manager": "kubectl", "operation": "Apply", "apiVersion": "nodepulse.dev/v1alpha1",
           "time": "2026-01-01T00:00:00Z", "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {}}}]},
         "spec": {"title": "ping", "delay": "30s", "nodes": "one", "retry": {"limit": 2, "backoff": "1s"},
          "target": {"http": {"url": "http://127.0.0.1:9/x", "method": "POST", "headers": {"X-Run": "1"},
           "body": "{}", "timeout": "5s"}}},
         "status": {"phase": "Succeeded", "runs": 1, "attempts": 1, "observedGeneration": 1,
          "conditions": [{"type": "Ready", "status": "True", "reason": "Ran", "message": "ok",
           "lastTransitionTime": "2026-01-01T00:00:30Z"}],
          "lastRun": {"dueAt": "2026-01-01T00:00:30Z", "node": "n1", "outcome": "SUCCEEDED"}}},
        {"apiVersion": "nodepulse.dev/v1alpha1", "kind": "DelayedTask",
         "metadata": {"name": "tcp", "namespace": "default", "uid": "u2", "resourceVersion": "4", "generation": 1},
         "spec": {"every": "5m", "nodes": "all", "nodeSelector": {"kubernetes.io/os": "linux"},
          "target": {"tcp": {"address": "[::1]:5000", "payload": "PING\\n", "readReply": true}}}},
        {"apiVersion": "nodepulse.dev/v1alpha1", "kind": "DelayedTask",
         "metadata": {"name": "pipe", "namespace": "default", "uid": "u3", "resourceVersion": "5", "generation": 2},
         "spec": {"schedule": "*/10 * * * * *", "timeZone": "Europe/Paris",
          "target": {"pipe": {"name": "reload", "data": "reload\\n"}}}},
        {"apiVersion": "nodepulse.dev/v1alpha1", "kind": "DelayedTask",
         "metadata": {"name": "pi", "namespace": "default", "uid": "u4", "resourceVersion": "6", "generation": 1},
         "spec": {"at": "2026-11-23T18:30:00Z", "target": {"compute": {"pi": {"digits": 50}}}}}
       ]}
      """;
  private static final String CONFIG_MAPS = """
      {"apiVersion": "v1", "kind": "ConfigMapList", "metadata": {"resourceVersion": "8"},
       "items": [{"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "jobs", "namespace": "default", "resourceVersion": "8",
         "labels": {"nodepulse.dev/tasks": "true"}},
        "data": {"ping": "delay: 1m\\ntarget:\\n  http: {url: \\"http://127.0.0.1:9/\\"}\\n"}}]}
      """;
  private static final String LEASES = """
      {"apiVersion": "coordination.k8s.io/v1", "kind": "LeaseList", "metadata": {"resourceVersion": "9"},
       "items": [{"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "nodepulse-n1", "namespace": "default", "resourceVersion": "9",
         "labels": {"app.kubernetes.io/name": "nodepulse"}, "annotations": {"nodepulse.dev/node-labels": "{}"}},
        "spec": {"holderIdentity": "n1", "leaseDurationSeconds": 15, "renewTime": "2026-01-01T00:00:00.000000Z",
         "acquireTime": "2026-01-01T00:00:00.000000Z", "leaseTransitions": 0}}]}
      """;

  private WireTraining() {}

  /** Reads and writes each kind once; the number of tasks the pipeline's reader accepted. */
  public static int run() {
    KubernetesSerialization json = new KubernetesSerialization();
    int read = 0;
    DefaultKubernetesResourceList<DelayedTaskResource> tasks = json.unmarshal(TASKS,
        new TypeReference<DefaultKubernetesResourceList<DelayedTaskResource>>() {});
    for (DelayedTaskResource r : tasks.getItems()) {
      try {
        Wire.read(r);
        Wire.specWrittenAt(r);
        read++;
      } catch (Exception e) {
        throw new IllegalStateException("the training's task " + r.getMetadata().getName() + " is refused", e);
      }
      json.asJson(r);
    }
    for (ConfigMap cm : json.unmarshal(CONFIG_MAPS, ConfigMapList.class).getItems()) {
      for (Map.Entry<String, String> e : cm.getData().entrySet()) {
        try {
          Wire.read(cm.getMetadata().getNamespace(), cm.getMetadata().getName() + "." + e.getKey(), 1, e.getValue());
          read++;
        } catch (Exception ex) {
          throw new IllegalStateException("the training's ConfigMap entry " + e.getKey() + " is refused", ex);
        }
      }
    }
    for (Lease lease : json.unmarshal(LEASES, LeaseList.class).getItems()) {
      // written, then read back in a watch event, whose object is typed by its kind through the client's
      // registry of every kind it knows
      json.unmarshal("{\"type\": \"MODIFIED\", \"object\": " + json.asJson(lease) + "}", WatchEvent.class);
    }
    json.asJson(json.unmarshal("""
        {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e1", "namespace": "default"},
         "involvedObject": {"kind": "DelayedTask", "name": "http", "namespace": "default"},
         "reason": "Ran", "message": "ok", "type": "Normal", "count": 1}
        """, Event.class));
    return read;
  }
}
