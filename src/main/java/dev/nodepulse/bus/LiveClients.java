package dev.nodepulse.bus;

import io.vertx.core.json.JsonObject;

/** How many live page clients are connected over SockJS, published by the web concern on {@link #ADDRESS} at each change. */
public record LiveClients(int count) {
  public static final String ADDRESS = "nodepulse.web.clients";

  public JsonObject toJson() {
    return new JsonObject().put("count", count);
  }

  public static LiveClients fromJson(JsonObject json) {
    return new LiveClients(json.getInteger("count", 0));
  }
}
