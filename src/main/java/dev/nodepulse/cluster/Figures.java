package dev.nodepulse.cluster;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * One node's figures in the cluster view, as a peer serves them ({@code GET /peer/v1/summary}): CPU % (0–100), the
 * one-minute average, the 1-minute load, memory total and used, when they were sampled. Any of them may be null
 * (a platform without load, a node before its first minute). {@link #fromJson} is where a peer's answer enters:
 * each field is checked once and a wrong one named.
 */
record Figures(Double percent, Double avg1m, Double load, Long totalBytes, Long usedBytes, Instant sampledAt) {

  /** A peer's answer read and checked; IllegalArgumentException names the field and its value. */
  static Figures fromJson(JsonObject json) {
    JsonObject memory = json.getValue("memory") == null ? new JsonObject() : object(json, "memory");
    return new Figures(number(json, "percent", 0, 100), number(json, "avg1m", 0, 100),
        number(json, "load", 0, Double.MAX_VALUE), bytes(memory, "memory.totalBytes"),
        bytes(memory, "memory.usedBytes"), instant(json, "sampledAt"));
  }

  /** The fields of a row of the cluster view ({@code percent, avg1m, load, memory, sampledAt}), nulls kept. */
  JsonObject into(JsonObject row) {
    return row.put("percent", percent).put("avg1m", avg1m).put("load", load)
        .put("memory", totalBytes == null && usedBytes == null ? null
            : new JsonObject().put("totalBytes", totalBytes).put("usedBytes", usedBytes))
        .put("sampledAt", sampledAt == null ? null : sampledAt.toString());
  }

  private static JsonObject object(JsonObject json, String field) {
    if (json.getValue(field) instanceof JsonObject o) {
      return o;
    }
    throw new IllegalArgumentException(field + ": " + shown(json.getValue(field)) + " is not an object");
  }

  private static Double number(JsonObject json, String field, double min, double max) {
    Object v = json.getValue(field);
    if (v == null) {
      return null;
    }
    if (v instanceof Number n && Double.isFinite(n.doubleValue()) && n.doubleValue() >= min && n.doubleValue() <= max) {
      return n.doubleValue();
    }
    throw new IllegalArgumentException(field + ": " + shown(v) + " is not a number"
        + (max == Double.MAX_VALUE ? " of 0 or more" : " from " + (int) min + " to " + (int) max));
  }

  private static Long bytes(JsonObject memory, String field) {
    String key = field.substring(field.indexOf('.') + 1);
    Object v = memory.getValue(key);
    if (v == null) {
      return null;
    }
    if (v instanceof Number n && n.doubleValue() >= 0 && n.doubleValue() == Math.rint(n.doubleValue())) {
      return n.longValue();
    }
    throw new IllegalArgumentException(field + ": " + shown(v) + " is not a whole number of bytes");
  }

  private static Instant instant(JsonObject json, String field) {
    Object v = json.getValue(field);
    if (v == null) {
      return null;
    }
    try {
      return Instant.parse((String) v);
    } catch (ClassCastException | DateTimeParseException e) {
      throw new IllegalArgumentException(field + ": " + shown(v) + " is not an RFC 3339 time");
    }
  }

  /** A value as shown in an error: quoted, cut to 40 characters. */
  static String shown(Object v) {
    String s = String.valueOf(v);
    return "'" + (s.length() > 40 ? s.substring(0, 37) + "..." : s) + "'";
  }
}
