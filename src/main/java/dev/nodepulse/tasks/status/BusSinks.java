package dev.nodepulse.tasks.status;

import dev.nodepulse.tasks.model.DelayedTask;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The bus sinks: the page's {@code nodepulse.tasks.changed} (a DelayedTask as JSON, {@code "deleted": true}
 * at the top level when removed) and the metrics' {@code nodepulse.tasks.run} (one per attempt).
 */
public final class BusSinks {
  public static final String CHANGED = "nodepulse.tasks.changed";
  public static final String RUN = "nodepulse.tasks.run";

  private BusSinks() {}

  /**
   * The page (and anyone on the bus): every status change, each task written as {@code json} writes it (with the
   * cluster's status, when it has one); progress alone at most 4 times a second per task.
   */
  public static StatusSink page(Vertx vertx, Function<DelayedTask, JsonObject> json) {
    return new PageSink(vertx, json);
  }

  private static final class PageSink implements StatusSink {
    private static final long PROGRESS_EVERY_MS = 250;
    private final Vertx vertx;
    private final Function<DelayedTask, JsonObject> json;
    /** Per task: when progress was last published, and the progress change held back meanwhile. */
    private final Map<String, Long> publishedAt = new HashMap<>();
    private final Map<String, TaskChange> held = new HashMap<>();

    PageSink(Vertx vertx, Function<DelayedTask, JsonObject> json) {
      this.vertx = vertx;
      this.json = json;
    }

    @Override
    public void changed(TaskChange c) {
      String key = c.task().key();
      if (!c.progressOnly()) {
        held.remove(key); // a full change carries the latest progress
        if (c.deleted()) {
          publishedAt.remove(key);
        }
        publish(c);
        return;
      }
      long now = System.nanoTime() / 1_000_000;
      long wait = publishedAt.getOrDefault(key, Long.MIN_VALUE / 2) + PROGRESS_EVERY_MS - now;
      if (wait <= 0) {
        publishedAt.put(key, now);
        publish(c);
      } else if (held.put(key, c) == null) {
        vertx.setTimer(wait, id -> {
          TaskChange latest = held.remove(key);
          if (latest != null) {
            publishedAt.put(key, System.nanoTime() / 1_000_000);
            publish(latest);
          }
        });
      }
    }

    private void publish(TaskChange c) {
      JsonObject body = json.apply(c.task());
      if (c.deleted()) {
        body.put("deleted", true);
      }
      vertx.eventBus().publish(CHANGED, body);
    }

    @Override
    public void attempted(RunRecord run) {}
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

      @Override
      public void missed(MissedBurst m) { // one event counting every due time of the burst
        vertx.eventBus().publish(RUN, new JsonObject()
            .put("namespace", m.namespace()).put("name", m.name()).put("target", m.target())
            .put("outcome", m.skipped() ? "skipped" : "missed").put("count", m.count()));
      }
    };
  }
}
