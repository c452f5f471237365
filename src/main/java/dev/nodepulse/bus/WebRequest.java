package dev.nodepulse.bus;

import io.vertx.core.json.JsonObject;

/**
 * One HTTP request answered, published by the web concern on {@link #ADDRESS} for the metrics' request counter:
 * the method (OTHER for one not in the usual set), the route's template (never the path itself, so a client cannot
 * make new series) and the status.
 */
public record WebRequest(String method, String route, int status) {
  public static final String ADDRESS = "nodepulse.web.request";

  public JsonObject toJson() {
    return new JsonObject().put("method", method).put("route", route).put("status", status);
  }

  public static WebRequest fromJson(JsonObject json) {
    return new WebRequest(json.getString("method", "OTHER"), json.getString("route", "other"),
        json.getInteger("status", 0));
  }
}
