package dev.nodepulse.kube;

import dev.nodepulse.kube.rules.DerivedStatus;
import dev.nodepulse.kube.rules.RunNowRule;
import dev.nodepulse.kube.wire.Wire;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.tasks.TasksVerticle;
import dev.nodepulse.tasks.model.Declaration;
import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.TaskSpec;
import dev.nodepulse.tasks.model.TaskValidationException;
import dev.nodepulse.tasks.source.Pipeline;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DelayedTask resources into the pipeline: each object is read by the pipeline's reader and declared with its
 * origin (CRD, uid, generation); an invalid one is declared invalid (a Failed task naming the field) and gets a
 * Warning Event once per generation; a deleted one is withdrawn. The annotation {@code nodepulse.dev/run-now} asks
 * one extra run per request id ({@link RunNowRule}, {@link RunNowClaims}).
 */
final class CrdSource implements TaskInformers.Listener<DelayedTaskResource> {
  private static final Logger LOG = LoggerFactory.getLogger(CrdSource.class);
  private final Context context;
  private final Pipeline pipeline;
  private final KubeLink link;
  private final Vertx vertx;
  private final Map<String, Long> warned = new ConcurrentHashMap<>();
  /** The annotation nodepulse.dev/run-now's latest value acted on, per task (asked of the pipeline, or warned). */
  private final Map<String, String> asked = new ConcurrentHashMap<>();

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
          StatusWrites.derive(link, r, t.spec());
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
          StatusWrites.invalid(link, r, message);
          return null;
        }, false);
      }
    }
    Declaration declared = d;
    RunNowRule.Ask ask = d.task() == null ? new RunNowRule.Nothing() : runNow(r, d.task());
    context.runOnContext(v -> pipeline.declare(declared).onSuccess(ok -> {
      if (ask instanceof RunNowRule.Run run) {
        requestRun(ns, name, run.requestId());
      }
    }).onFailure(err -> {
      if (err instanceof Pipeline.Refused refused && refused.status() == 409
          && link.speaksFor(ns + "/" + name + "@taken-" + origin.generation())) {
        vertx.executeBlocking(() -> {
          Events.emit(link, r, "Warning", "NameTaken", refused.getMessage());
          return null;
        }, false);
      }
    }));
  }

  /**
   * The annotation {@code nodepulse.dev/run-now} ({@link RunNowRule#ask}): a request id not handled yet is asked of
   * the pipeline once per value; a value that is no request id gets one Warning Event naming the annotation and the
   * value (by the agent that speaks for it), and nothing else changes.
   */
  private RunNowRule.Ask runNow(DelayedTaskResource r, DelayedTask t) {
    Map<String, String> annotations = r.getMetadata().getAnnotations();
    String value = annotations == null ? null : annotations.get(RunNowRule.ANNOTATION);
    String key = t.key();
    String handled = t.spec().nodes() == TaskSpec.Nodes.ALL
        ? RunNowClaims.handledOn(r, link.node()) : RunNowClaims.handled(r);
    RunNowRule.Ask ask = RunNowRule.ask(value, handled);
    if (ask instanceof RunNowRule.Bad bad) {
      if (!value.equals(asked.put(key, value)) && link.speaksFor(key + "@run-now-" + value)) {
        String message = "DelayedTask " + key + ": " + bad.message() + "; not run";
        vertx.executeBlocking(() -> {
          Events.emit(link, r, "Warning", "InvalidRunNow", message);
          return null;
        }, false);
      }
      return ask;
    }
    if (ask instanceof RunNowRule.Run run && run.requestId().equals(asked.put(key, run.requestId()))) {
      return new RunNowRule.Nothing(); // asked already (the pipeline also keeps the ids it handled)
    }
    return ask;
  }

  /** One extra run of a declared DelayedTask (TasksVerticle.RUN_NOW, as from the annotation). */
  private void requestRun(String ns, String name, String requestId) {
    vertx.eventBus().request(TasksVerticle.RUN_NOW, new JsonObject().put("namespace", ns).put("name", name)
        .put("requestId", requestId).put("fromAnnotation", true)).onFailure(err -> {
          asked.remove(ns + "/" + name, requestId); // asked again with the next update of the object
          LOG.warn("task {}/{}: run-now request {} not taken: {}", ns, name, requestId, err.getMessage());
        });
  }

  @Override
  public void delete(DelayedTaskResource r) {
    asked.remove(r.getMetadata().getNamespace() + "/" + r.getMetadata().getName());
    warned.remove(r.getMetadata().getNamespace() + "/" + r.getMetadata().getName());
    link.withdrawn.accept(r.getMetadata().getNamespace() + "/" + r.getMetadata().getName());
    context.runOnContext(v -> pipeline.withdraw(origin(r), r.getMetadata().getNamespace() + "/"
        + r.getMetadata().getName()));
  }

  void synced() {
    context.runOnContext(v -> pipeline.synced(Origin.Kind.CRD));
  }
}
