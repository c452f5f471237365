package dev.nodepulse.kube;

import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.tasks.model.Declaration;
import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.TaskValidationException;
import dev.nodepulse.tasks.source.Pipeline;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * DelayedTask resources into the pipeline: each object is read by the pipeline's reader and declared with its
 * origin (CRD, uid, generation); an invalid one is declared invalid (a Failed task naming the field) and gets a
 * Warning Event once per generation; a deleted one is withdrawn.
 */
final class CrdSource implements TaskInformers.Listener<DelayedTaskResource> {
  private final Context context;
  private final Pipeline pipeline;
  private final KubeLink link;
  private final Vertx vertx;
  private final Map<String, Long> warned = new ConcurrentHashMap<>();

  CrdSource(Vertx vertx, Context context, KubeLink link) {
    this.vertx = vertx;
    this.context = context;
    this.pipeline = new Pipeline(vertx);
    this.link = link;
  }

  static Origin origin(DelayedTaskResource r) {
    Long g = r.getMetadata().getGeneration();
    return new Origin(Origin.Kind.CRD, r.getMetadata().getUid(), g == null ? 0 : g);
  }

  @Override
  public void upsert(DelayedTaskResource r) {
    Origin origin = origin(r);
    String ns = r.getMetadata().getNamespace();
    String name = r.getMetadata().getName();
    Declaration d;
    try {
      DelayedTask t = Wire.read(r);
      d = Declaration.of(origin, t, Wire.specWrittenAt(r));
      if (DerivedStatus.suspendShownWrong(r.getStatus(), t.spec())
          && link.speaksFor(ns + "/" + name + "@suspend-" + origin.generation())) {
        vertx.executeBlocking(() -> { // nothing runs to write it: spec.suspend alone changed what status shows
          StatusWriter.derive(link, r, t.spec());
          return null;
        }, false);
      }
    } catch (TaskValidationException e) {
      String message = "DelayedTask " + ns + "/" + name + ": " + Wire.message(e);
      d = Declaration.invalid(origin, ns, name, message);
      Long before = warned.put(ns + "/" + name, origin.generation());
      if ((before == null || before != origin.generation())
          && link.speaksFor(ns + "/" + name + "@invalid-" + origin.generation())) {
        vertx.executeBlocking(() -> {
          Events.emit(link, r, "Warning", "InvalidSpec", message);
          StatusWriter.invalid(link, r, message);
          return null;
        }, false);
      }
    }
    Declaration declared = d;
    context.runOnContext(v -> pipeline.declare(declared).onFailure(err -> {
      if (err instanceof Pipeline.Refused refused && refused.status() == 409
          && link.speaksFor(ns + "/" + name + "@taken-" + origin.generation())) {
        vertx.executeBlocking(() -> {
          Events.emit(link, r, "Warning", "NameTaken", refused.getMessage());
          return null;
        }, false);
      }
    }));
  }

  @Override
  public void delete(DelayedTaskResource r) {
    warned.remove(r.getMetadata().getNamespace() + "/" + r.getMetadata().getName());
    link.withdrawn.accept(r.getMetadata().getNamespace() + "/" + r.getMetadata().getName());
    context.runOnContext(v -> pipeline.withdraw(origin(r), r.getMetadata().getNamespace() + "/"
        + r.getMetadata().getName()));
  }

  void synced() {
    context.runOnContext(v -> pipeline.synced(Origin.Kind.CRD));
  }
}
