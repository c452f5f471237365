package dev.nodepulse.kube;

import dev.nodepulse.usage.UsageVerticle;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The names of this node's pods for the usage concern: one informer on Pods restricted by the field selector
 * {@code spec.nodeName=<node>} (as the kubelet watches), so the API server sends only this node's pods: O(pods on the
 * node), never the cluster's. Each pod is published on {@link UsageVerticle#NAMES} as uid, namespace, name and its
 * containers' ids and names (from the container statuses), and once more with {@code "deleted": true} when it goes.
 */
final class PodNames implements Function<KubernetesClient, CompletionStage<?>> {
  private final Vertx vertx;
  private final String node;
  private final Duration resync;
  private SharedIndexInformer<Pod> informer;

  PodNames(Vertx vertx, String node, Duration resync) {
    this.vertx = vertx;
    this.node = node;
    this.resync = resync;
  }

  /** Starts the informer on a (re)connected client, closing the one before; completes once it has listed. */
  @Override
  public synchronized CompletionStage<?> apply(KubernetesClient client) {
    if (informer != null) {
      informer.close();
    }
    informer = client.pods().inAnyNamespace().withField("spec.nodeName", node).runnableInformer(resync.toMillis());
    informer.addEventHandler(new ResourceEventHandler<>() {
      @Override
      public void onAdd(Pod pod) {
        publish(pod, false);
      }

      @Override
      public void onUpdate(Pod before, Pod after) {
        publish(after, false);
      }

      @Override
      public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
        publish(pod, true);
      }
    });
    return informer.start();
  }

  private void publish(Pod pod, boolean deleted) {
    JsonObject body = new JsonObject().put("uid", pod.getMetadata().getUid());
    if (deleted) {
      body.put("deleted", true);
    } else {
      JsonObject containers = new JsonObject();
      if (pod.getStatus() != null) {
        for (List<ContainerStatus> list : List.of(orEmpty(pod.getStatus().getContainerStatuses()),
            orEmpty(pod.getStatus().getInitContainerStatuses()), orEmpty(pod.getStatus().getEphemeralContainerStatuses()))) {
          for (ContainerStatus c : list) {
            String id = c.getContainerID();
            if (id != null && !id.isEmpty()) {
              containers.put(id.substring(id.indexOf("://") + 1).replace("/", ""), c.getName());
            }
          }
        }
      }
      body.put("namespace", pod.getMetadata().getNamespace()).put("name", pod.getMetadata().getName())
          .put("containers", containers);
    }
    vertx.eventBus().publish(UsageVerticle.NAMES, body);
  }

  private static <T> List<T> orEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }
}
