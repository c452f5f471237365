package dev.nodepulse.tasks.source;

import dev.nodepulse.scheduler.SchedulerVerticle;
import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.TaskCodec;
import dev.nodepulse.tasks.model.TaskValidationException;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;

/**
 * Standalone REST source: answers {@code nodepulse.tasks.put} (JSON or YAML text of a DelayedTask) and
 * {@code nodepulse.tasks.delete}, and hands valid tasks to the scheduler as source {@code rest}, which
 * persists the posted object so it survives a restart.
 */
public final class RestSource extends VerticleBase {
  public static final String PUT = "nodepulse.tasks.put";
  public static final String DELETE = "nodepulse.tasks.delete";

  @Override
  public Future<?> start() {
    vertx.eventBus().<JsonObject>consumer(PUT, this::put);
    vertx.eventBus().<JsonObject>consumer(DELETE, this::delete);
    return Future.succeededFuture();
  }

  private void put(Message<JsonObject> msg) {
    JsonObject body = msg.body() == null ? new JsonObject() : msg.body();
    String contentType = body.getString("contentType");
    TaskCodec.Format format = TaskCodec.formatOf(contentType);
    if (format == null) {
      msg.fail(415, new JsonObject().put("error", "content type '" + contentType + "' is not accepted; send "
          + "application/json, application/yaml, application/x-yaml or text/yaml").encode());
      return;
    }
    String text = body.getString("body", "");
    vertx.<DelayedTask>executeBlocking(() -> TaskCodec.parse(text, format), false).onComplete(ar -> {
      if (ar.failed()) {
        if (ar.cause() instanceof TaskValidationException e) {
          msg.fail(400, TaskCodec.errorJson(null, e.errors()).encode());
        } else {
          msg.fail(400, new JsonObject().put("error", String.valueOf(ar.cause().getMessage())).encode());
        }
        return;
      }
      DelayedTask task = ar.result();
      vertx.eventBus().<JsonObject>request(SchedulerVerticle.UPSERT, new JsonObject()
          .put("source", SchedulerVerticle.REST_SOURCE).put("key", task.key())
          .put("task", TaskCodec.toObjectJson(task)))
          .onSuccess(reply -> msg.reply(reply.body()))
          .onFailure(err -> forward(msg, err));
    });
  }

  private void delete(Message<JsonObject> msg) {
    JsonObject body = msg.body() == null ? new JsonObject() : msg.body();
    String key = body.getString("namespace", "default") + "/" + body.getString("name", "");
    vertx.eventBus().request(SchedulerVerticle.REMOVE, new JsonObject()
        .put("source", SchedulerVerticle.REST_SOURCE).put("key", key))
        .onSuccess(reply -> msg.reply(new JsonObject()))
        .onFailure(err -> forward(msg, err));
  }

  private static void forward(Message<?> msg, Throwable err) {
    if (err instanceof ReplyException r && r.failureCode() >= 400) {
      msg.fail(r.failureCode(), r.getMessage());
    } else {
      msg.fail(503, new JsonObject().put("error", "scheduler unavailable: " + err.getMessage()).encode());
    }
  }
}
