package dev.nodepulse.kube;

import dev.nodepulse.kube.crd.DelayedTaskResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.Watch;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every result written to one DelayedTask whose target answers each request with {@code request-<n>}: request
 * number -> the due time its run belongs to. A due time run twice appears under two request numbers; a request
 * whose result was never written is missing.
 */
final class ResultsByRequest implements AutoCloseable {
  final Map<Integer, String> recorded = new ConcurrentHashMap<>();
  private final Watch watch;

  ResultsByRequest(KubernetesClient client, String namespace, String name) {
    watch = client.resources(DelayedTaskResource.class).inNamespace(namespace).withName(name).watch(new Watcher<>() {
      @Override
      public void eventReceived(Action action, DelayedTaskResource t) {
        if (t.getStatus() != null && t.getStatus().lastRun != null && t.getStatus().lastRun.result != null
            && t.getStatus().lastRun.result.startsWith("request-")) {
          recorded.put(Integer.parseInt(t.getStatus().lastRun.result.substring("request-".length())),
              t.getStatus().lastRun.dueAt); // a claim write repeats the last result: same key, same value
        }
      }

      @Override
      public void onClose(WatcherException cause) {}
    });
  }

  @Override
  public void close() {
    watch.close();
  }
}
