package dev.nodepulse.tasks.status;

import dev.nodepulse.tasks.model.TaskJson;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.Locale;

/**
 * The bus sinks: the page's {@code nodepulse.tasks.changed} (a DelayedTask as JSON, {@code "deleted": true}
 * at the top level when removed) and the metrics' {@code nodepulse.tasks.run} (one per attempt).
 */
public final class BusSinks {
  public static final String CHANGED = "nodepulse.tasks.changed";
  public static final String RUN = "nodepulse.tasks.run";

  private BusSinks() {}

  /** The page (and anyone on the bus): every status change. */
  public static StatusSink page(Vertx vertx) {
    return new StatusSink() {
      @Override
      public void changed(TaskChange c) {
        JsonObject body = TaskJson.toJson(c.task());
        if (c.deleted()) {
          body.put("deleted", true);
        }
        vertx.eventBus().publish(CHANGED, body);
      }

      @Override
      public void attempted(RunRecord run) {}
    };
  }

  /** The metrics verticle: {@code {namespace, name, target, outcome, durationSeconds, latenessSeconds}}. */
  public static StatusSink metrics(Vertx vertx) {
    return new StatusSink() {
      @Override
      public void changed(TaskChange c) {}

      @Override
      public void attempted(RunRecord r) {
        vertx.eventBus().publish(RUN, new JsonObject()
            .put("namespace", r.namespace()).put("name", r.name())
            .put("target", r.target())
            .put("outcome", r.result().outcome().name().toLowerCase(Locale.ROOT))
            .put("durationSeconds", r.durationMs() / 1e3)
            .put("latenessSeconds", Math.max(0, r.latenessMs()) / 1e3));
      }
    };
  }
}
