package dev.nodepulse.web;

import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.LoggerFactory;

/**
 * Error answers: {@code {"error": "...", "details": ...}} with a 4xx/5xx status, and the mapping of
 * event-bus failures (a concern's {@code Message.fail(status, errorJson)}, no consumer, timeout).
 */
public final class Errors {
  private Errors() {}

  public static void send(RoutingContext ctx, int status, String error, Object details) {
    send(ctx, status, new JsonObject().put("error", error).put("details", details));
  }

  static void send(RoutingContext ctx, int status, JsonObject body) {
    if (ctx.response().ended() || ctx.response().headWritten()) {
      return;
    }
    ctx.response().setStatusCode(status).putHeader("content-type", "application/json").end(body.encode());
  }

  /** Answers a failed event-bus request: the concern's status and JSON, or 503 when it is absent or slow. */
  public static void fromBus(RoutingContext ctx, String address, Throwable err) {
    if (err instanceof ReplyException re) {
      switch (re.failureType()) {
        case NO_HANDLERS -> send(ctx, 503, "service not available", "nothing answers " + address + " yet");
        case TIMEOUT -> send(ctx, 503, "service did not answer in time", address);
        case RECIPIENT_FAILURE, ERROR -> {
          int code = re.failureCode() >= 400 && re.failureCode() <= 599 ? re.failureCode() : 500;
          send(ctx, code, asErrorJson(re.getMessage()));
        }
      }
      return;
    }
    LoggerFactory.getLogger(Errors.class).warn("{} {}: asking {} failed", ctx.request().method(), ctx.request().path(),
        address, err);
    send(ctx, 500, "internal error", null);
  }

  /** A concern's failure message: its JSON error object when it is one, else wrapped as one. */
  static JsonObject asErrorJson(String message) {
    if (message != null && message.startsWith("{")) {
      try {
        JsonObject j = new JsonObject(message);
        if (j.containsKey("error")) {
          if (!j.containsKey("details")) {
            j.put("details", null);
          }
          return j;
        }
      } catch (DecodeException ignored) {
        // not JSON: wrapped below
      }
    }
    return new JsonObject().put("error", message == null ? "failed" : message).put("details", null);
  }

  static String reason(int status) {
    return switch (status) {
      case 400 -> "bad request";
      case 404 -> "not found";
      case 405 -> "method not allowed";
      case 413 -> "request body too large";
      case 415 -> "unsupported media type";
      case 421 -> "misdirected request";
      case 503 -> "service unavailable";
      default -> status >= 500 ? "internal error" : "request failed";
    };
  }
}
