package dev.nodepulse.tasks.source;

import dev.nodepulse.tasks.TasksVerticle;
import dev.nodepulse.tasks.model.Declaration;
import dev.nodepulse.tasks.model.LocalCodec;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.Synced;
import dev.nodepulse.tasks.model.Withdrawal;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

/**
 * What every task source does with the pipeline, over the bus as typed records: declare a validated task (or
 * an invalid declaration), withdraw it, say it has synced. Failures come back as {@link Refused} with the
 * pipeline's status (409: another declaration holds that namespace/name; 404: unknown) and error text.
 * Used by the directory and REST sources; the cluster sources use it the same way.
 */
public final class Pipeline {
  private final Vertx vertx;

  public Pipeline(Vertx vertx) {
    this.vertx = vertx;
    LocalCodec.register(vertx);
  }

  /** A refusal of the pipeline: its status and its error message (not JSON). */
  public static final class Refused extends RuntimeException {
    private final int status;

    Refused(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }

    public int status() {
      return status;
    }
  }

  /** Declares; answers {@code {"created": bool, "task": DelayedTask JSON}}. */
  public Future<JsonObject> declare(Declaration d) {
    return ask(TasksVerticle.DECLARE, d);
  }

  /** A dry run of {@link #declare}: the same answer and refusals, nothing declared. */
  public Future<JsonObject> preview(Declaration d) {
    return ask(TasksVerticle.PREVIEW, d);
  }

  public Future<JsonObject> withdraw(Origin origin, String key) {
    return ask(TasksVerticle.WITHDRAW, new Withdrawal(origin, key));
  }

  public Future<JsonObject> synced(Origin.Kind kind) {
    return ask(TasksVerticle.SYNCED, new Synced(kind));
  }

  private Future<JsonObject> ask(String address, Object body) {
    return vertx.eventBus().<JsonObject>request(address, body).map(m -> m.body()).recover(err -> {
      if (err instanceof ReplyException r && r.failureCode() >= 400) {
        String message = r.getMessage();
        try {
          message = new JsonObject(message).getString("error", message);
        } catch (RuntimeException notJson) {
          // a plain message
        }
        return Future.failedFuture(new Refused(r.failureCode(), message));
      }
      return Future.failedFuture(new Refused(503, "the task pipeline is not available"));
    });
  }
}
