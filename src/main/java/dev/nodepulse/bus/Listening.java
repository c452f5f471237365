package dev.nodepulse.bus;

import io.vertx.core.json.JsonObject;

/**
 * The agent's own listening ports, published (local) by the web concern once its listeners listen: the actual
 * ports, a port of 0 resolved. The task targets' destination policy denies them. {@code metricsPort} is null
 * without a separate metrics listener.
 */
public record Listening(int httpPort, Integer metricsPort) {
  public static final String ADDRESS = "nodepulse.web.listening";

  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("httpPort", httpPort);
    if (metricsPort != null) {
      json.put("metricsPort", metricsPort);
    }
    return json;
  }

  public static Listening fromJson(JsonObject json) {
    return new Listening(json.getInteger("httpPort", 0), json.getInteger("metricsPort"));
  }
}
