package dev.nodepulse.tasks.status;

import dev.nodepulse.bus.TaskRun;
import dev.nodepulse.bus.TaskState;
import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.Schedule;
import dev.nodepulse.tasks.model.TaskStatus;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * The bus sinks: the page's {@code nodepulse.tasks.changed} (a DelayedTask as JSON, {@code "deleted": true}
 * at the top level when removed) and the metrics' {@link TaskRun} and {@link TaskState}.
 */
public final class BusSinks {
  public static final String CHANGED = "nodepulse.tasks.changed";
  public static final String RUN = TaskRun.ADDRESS;

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

  /**
   * The metrics verticle: a {@link TaskRun} on {@link #RUN} after every attempt (and one for a burst of due times not
   * run), a {@link TaskState} on {@link TaskState#ADDRESS} after every change of a task but its progress.
   */
  public static StatusSink metrics(Vertx vertx, Clock clock) {
    return new StatusSink() {
      @Override
      public void changed(TaskChange c) {
        if (!c.progressOnly()) {
          vertx.eventBus().publish(TaskState.ADDRESS, state(c, clock.instant()).toJson());
        }
      }

      @Override
      public void attempted(RunRecord r) {
        vertx.eventBus().publish(RUN, TaskRun.attempt(r.namespace(), r.name(), r.target(),
            r.result().outcome().name().toLowerCase(Locale.ROOT), r.durationMs() / 1e3,
            Math.max(0, r.latenessMs()) / 1e3).toJson());
      }

      @Override
      public void missed(MissedBurst m) { // one event counting every due time of the burst
        vertx.eventBus().publish(RUN, TaskRun.burst(m.namespace(), m.name(), m.target(),
            m.skipped() ? "skipped" : "missed", m.count()).toJson());
      }
    };
  }

  /** What the metrics show of a task after a change: this agent's own status (a cluster's is not in the change). */
  public static TaskState state(TaskChange c, Instant now) {
    DelayedTask t = c.task();
    TaskStatus.LastRun last = t.status() == null ? null : t.status().lastRun();
    return new TaskState(t.metadata().namespace(), t.metadata().name(), t.metadata().generation(),
        t.status() == null ? TaskStatus.Phase.Pending.name() : t.status().phase().name(),
        t.spec() == null ? null : intervalSeconds(t.spec().timing(), now),
        last == null ? null : last.finishedAt(), last == null ? null : last.outcome().name(), c.deleted());
  }

  /** A recurring task's interval: its every, or for a cron schedule the gap between its next two due times. */
  static Double intervalSeconds(Schedule timing, Instant now) {
    return switch (timing) {
      case Schedule.Every e -> e.every().toMillis() / 1e3;
      case Schedule.Cron c -> {
        var next = c.next(now);
        var after = next.flatMap(c::next);
        yield after.isPresent() ? Duration.between(next.get(), after.get()).toMillis() / 1e3 : null;
      }
      default -> null;
    };
  }
}
