package dev.nodepulse.tasks.status;

import dev.nodepulse.tasks.model.RunResult;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * The run history: a {@link StatusSink} that records each attempt, its row in tasks.db through the status store's
 * write-behind (the last spec.history runs of each task are kept) and its whole output in {@link RunOutputs};
 * and the answers that read them back. Made by {@link StatusStore}, whose worker keeps its I/O in order.
 */
public final class RunHistory implements StatusSink {
  private final StatusStore store;
  private final RunOutputs outputs;

  RunHistory(StatusStore store, RunOutputs outputs) {
    this.store = store;
    this.outputs = outputs;
  }

  @Override
  public void changed(TaskChange change) {}

  @Override
  public void attempted(RunRecord r) {
    if (!store.keepsRuns()) {
      return;
    }
    RunResult res = r.result();
    store.append(r.key(), new TaskStore.Run(ms(r.dueAt()), ms(r.startedAt()), ms(r.finishedAt()), r.durationMs(),
        r.node(), res.outcome().name(), res.error(), res.result(), res.bytes(), res.httpStatus()));
    String key = r.key();
    String output = res.output();
    store.<Void>onWorker(() -> {
      outputs.write(key, output);
      return null;
    }).onFailure(store::failed);
  }

  @Override
  public void forget(String key) {
    store.onWorker(() -> {
      outputs.delete(key);
      return null;
    });
  }

  private static Long ms(Instant i) {
    return i == null ? null : i.toEpochMilli();
  }

  /** The task's last runs, newest first, as {@code {"items": [...]}} (the REST API's field names). */
  public Future<JsonObject> runs(String key) {
    return store.runs(key).map(list -> {
      JsonArray items = new JsonArray();
      for (TaskStore.Run r : list) {
        JsonObject o = new JsonObject();
        putTime(o, "dueAt", r.dueAt());
        putTime(o, "startedAt", r.startedAt());
        putTime(o, "finishedAt", r.finishedAt());
        o.put("durationMs", r.durationMs()).put("node", r.node()).put("outcome", r.outcome());
        if (r.httpStatus() != null) {
          o.put("httpStatus", r.httpStatus());
        }
        o.put("error", r.error()).put("result", r.result()).put("bytes", r.bytes());
        items.add(o);
      }
      return new JsonObject().put("items", items);
    });
  }

  private static void putTime(JsonObject o, String field, Long ms) {
    o.put(field, ms == null ? null : Instant.ofEpochMilli(ms).toString());
  }

  /** The latest run's whole output, or null when it has none. */
  public Future<String> output(String key) {
    return store.onWorker(() -> outputs.read(key));
  }
}
