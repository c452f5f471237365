package dev.nodepulse.kube;

import dev.nodepulse.kube.wire.KubeSettings;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Informers for the two cluster task sources, in the namespaces given (one informer per namespace, or one for all):
 * DelayedTasks, and ConfigMaps labelled {@code nodepulse.dev/tasks=true} (only those are listed and watched).
 * fabric8's informers reconnect a broken watch and list again when the watch is too old; every object is handed
 * back again at each resync. Handlers run on the informers' thread: hand the work over, do not block.
 */
final class TaskInformers implements AutoCloseable {
  static final String TASKS_LABEL = "nodepulse.dev/tasks";

  /** What a source does with the objects it is told about. */
  interface Listener<T> {
    /** Added, changed, or handed back at a resync. */
    void upsert(T object);

    /** Deleted. */
    void delete(T object);

    /** This listener as an informer's event handler: an add or an update is an upsert (of the new object). */
    default ResourceEventHandler<T> handler() {
      Listener<T> listener = this;
      return new ResourceEventHandler<>() {
        @Override
        public void onAdd(T obj) {
          listener.upsert(obj);
        }

        @Override
        public void onUpdate(T before, T after) {
          listener.upsert(after);
        }

        @Override
        public void onDelete(T obj, boolean deletedFinalStateUnknown) {
          listener.delete(obj);
        }
      };
    }

    /** Tells {@code first}, then each of {@code then}. */
    @SafeVarargs
    static <T> Listener<T> all(Listener<T> first, Listener<T>... then) {
      return new Listener<>() {
        @Override
        public void upsert(T object) {
          first.upsert(object);
          for (Listener<T> l : then) {
            l.upsert(object);
          }
        }

        @Override
        public void delete(T object) {
          first.delete(object);
          for (Listener<T> l : then) {
            l.delete(object);
          }
        }
      };
    }
  }

  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private final List<SharedIndexInformer<DelayedTaskResource>> taskInformers = new ArrayList<>();

  TaskInformers(KubernetesClient client, KubeSettings settings, Listener<DelayedTaskResource> tasks,
      Listener<ConfigMap> configMaps) {
    long resync = settings.resync().toMillis();
    for (String ns : namespaces(settings)) {
      SharedIndexInformer<DelayedTaskResource> t = inform(ns, n -> n == null
          ? client.resources(DelayedTaskResource.class).inAnyNamespace().runnableInformer(resync)
          : client.resources(DelayedTaskResource.class).inNamespace(n).runnableInformer(resync), tasks);
      taskInformers.add(t);
      informers.add(t);
      informers.add(inform(ns, n -> n == null
          ? client.configMaps().inAnyNamespace().withLabel(TASKS_LABEL, "true").runnableInformer(resync)
          : client.configMaps().inNamespace(n).withLabel(TASKS_LABEL, "true").runnableInformer(resync), configMaps));
    }
  }

  private static List<String> namespaces(KubeSettings settings) {
    List<String> out = new ArrayList<>(settings.namespaces());
    if (out.isEmpty()) {
      out.add(null); // all namespaces
    }
    return out;
  }

  private static <T extends HasMetadata> SharedIndexInformer<T> inform(String ns,
      Function<String, SharedIndexInformer<T>> make, Listener<T> listener) {
    SharedIndexInformer<T> informer = make.apply(ns);
    informer.addEventHandler(listener.handler());
    return informer;
  }

  /** Starts every informer; completes when all have their first listing (the sources are synced). */
  CompletableFuture<Void> start() {
    return CompletableFuture.allOf(informers.stream().map(i -> i.start().toCompletableFuture())
        .toArray(CompletableFuture[]::new));
  }

  /** The DelayedTask {@code namespace/name} as last seen, or null. */
  DelayedTaskResource task(String namespace, String name) {
    for (SharedIndexInformer<DelayedTaskResource> i : taskInformers) {
      DelayedTaskResource t = i.getStore().getByKey(namespace + "/" + name);
      if (t != null) {
        return t;
      }
    }
    return null;
  }

  /** Every DelayedTask as last seen. */
  List<DelayedTaskResource> tasks() {
    return taskInformers.stream().flatMap(i -> i.getStore().list().stream()).toList();
  }

  /** True while every informer's watch is running. */
  boolean watching() {
    return informers.stream().allMatch(SharedIndexInformer::isWatching);
  }

  @Override
  public void close() {
    informers.forEach(SharedIndexInformer::close);
  }

  /** Who hears of the informers' failures (instead of fabric8's own log lines). */
  void failures(io.fabric8.kubernetes.client.informers.ExceptionHandler handler) {
    informers.forEach(i -> i.exceptionHandler(handler));
  }
}
