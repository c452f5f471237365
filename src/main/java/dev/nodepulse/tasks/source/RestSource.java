package dev.nodepulse.tasks.source;

import dev.nodepulse.tasks.model.Declaration;
import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.model.TaskReader;
import dev.nodepulse.tasks.model.TaskValidationException;
import dev.nodepulse.util.MediaType;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonObject;

/**
 * Standalone REST source: answers {@code nodepulse.tasks.put} ({@code {"contentType", "body"}} with the body
 * as a Buffer: JSON or YAML of a DelayedTask, strictly UTF-8; {@code "dryRun": true}: validated and previewed,
 * nothing declared) and {@code nodepulse.tasks.delete}, validates
 * once with {@link TaskReader} and declares the task with origin REST. The pipeline answers a REST declaration or
 * withdrawal once it is committed to tasks.db (a posted task has no other home), and refuses it (503, why) while
 * tasks.db cannot be written; those answers are passed on as they are.
 */
public final class RestSource extends VerticleBase {
  public static final String PUT = "nodepulse.tasks.put";
  public static final String DELETE = "nodepulse.tasks.delete";
  static final String ACCEPTED = "application/json, application/yaml, application/x-yaml or text/yaml";

  private Pipeline pipeline;

  @Override
  public Future<?> start() {
    pipeline = new Pipeline(vertx);
    vertx.eventBus().<JsonObject>consumer(PUT, this::put);
    vertx.eventBus().<JsonObject>consumer(DELETE, this::delete);
    return Future.succeededFuture();
  }

  /** The format for a content type (parameters ignored), or null when it is neither JSON nor YAML. */
  static TaskReader.Format formatOf(String contentType) {
    return switch (MediaType.of(contentType)) {
      case "application/json" -> TaskReader.Format.JSON;
      case "application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml" -> TaskReader.Format.YAML;
      default -> null;
    };
  }

  private void put(Message<JsonObject> msg) {
    JsonObject body = msg.body() == null ? new JsonObject() : msg.body();
    String contentType = body.getString("contentType");
    TaskReader.Format format = formatOf(contentType);
    if (format == null) {
      msg.fail(415, new JsonObject().put("error", (contentType == null || contentType.isBlank()
          ? "the Content-Type header is missing" : "content type '" + clip(contentType) + "' is not accepted")
          + "; send " + ACCEPTED).encode());
      return;
    }
    Buffer bytes = body.getBuffer("body", Buffer.buffer());
    vertx.<DelayedTask>executeBlocking(() -> TaskReader.read(bytes.getBytes(), format), false).onComplete(ar -> {
      if (ar.failed()) {
        JsonObject error = ar.cause() instanceof TaskValidationException e ? e.toJson()
            : new JsonObject().put("error", "the task cannot be read");
        msg.fail(400, error.encode());
        return;
      }
      DelayedTask task = ar.result();
      Origin origin = Origin.rest(task.metadata().namespace(), task.metadata().name());
      Declaration d = Declaration.of(origin, task);
      (body.getBoolean("dryRun", false) ? pipeline.preview(d) : pipeline.declare(d))
          .onSuccess(msg::reply)
          .onFailure(err -> forward(msg, err));
    });
  }

  private void delete(Message<JsonObject> msg) {
    JsonObject body = msg.body() == null ? new JsonObject() : msg.body();
    String ns = body.getString("namespace", "default");
    String name = body.getString("name", "");
    pipeline.withdraw(Origin.rest(ns, name), ns + "/" + name)
        .onSuccess(reply -> msg.reply(new JsonObject()))
        .onFailure(err -> forward(msg, err));
  }

  private static void forward(Message<?> msg, Throwable err) {
    Pipeline.Refused r = (Pipeline.Refused) err;
    msg.fail(r.status(), new JsonObject().put("error", r.getMessage()).encode());
  }

  private static String clip(String s) {
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }
}
