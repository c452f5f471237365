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
  private CompletionStage<?> started;
  /** The uids published and not yet deleted, so that pods deleted between two informers are deleted too. */
  private final java.util.Set<String> known = java.util.concurrent.ConcurrentHashMap.newKeySet();

  PodNames(Vertx vertx, String node, Duration resync) {
    this.vertx = vertx;
    this.node = node;
    this.resync = resync;
  }

  /**
   * Starts the informer once (it re-opens its watch by itself); a new one only when the last one failed or stopped.
   * Completes once it has listed; pods published before and not in a new informer's listing are published deleted.
   */
  @Override
  public synchronized CompletionStage<?> apply(KubernetesClient client) {
    if (informer != null && informer.isRunning() && !started.toCompletableFuture().isCompletedExceptionally()) {
      return started;
    }
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
    SharedIndexInformer<Pod> current = informer;
    started = informer.start().thenRun(() -> {
      java.util.Set<String> listed = new java.util.HashSet<>();
      current.getStore().list().forEach(p -> listed.add(p.getMetadata().getUid()));
      for (String uid : known) {
        if (!listed.contains(uid)) {
          known.remove(uid);
          vertx.eventBus().publish(UsageVerticle.NAMES, new JsonObject().put("uid", uid).put("deleted", true));
        }
      }
    });
    return started;
  }

  private void publish(Pod pod, boolean deleted) {
    JsonObject body = new JsonObject().put("uid", pod.getMetadata().getUid());
    if (deleted) {
      known.remove(pod.getMetadata().getUid());
      body.put("deleted", true);
    } else {
      known.add(pod.getMetadata().getUid());
      JsonObject containers = new JsonObject();
      if (pod.getStatus() != null) {
        for (List<ContainerStatus> list : List.of(orEmpty(pod.getStatus().getContainerStatuses()),
            orEmpty(pod.getStatus().getInitContainerStatuses()), orEmpty(pod.getStatus().getEphemeralContainerStatuses()))) {
          for (ContainerStatus c : list) {
            String id = c.getContainerID();
            if (id != null && !id.isEmpty()) {
              // "containerd://<id>", "cri-o://<id>", "docker://<id>": the id is what names the container's cgroup
              int scheme = id.indexOf("://");
              containers.put(scheme < 0 ? id : id.substring(scheme + 3), c.getName());
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
