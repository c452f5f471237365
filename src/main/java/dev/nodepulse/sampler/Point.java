package dev.nodepulse.sampler;

import io.vertx.core.json.JsonObject;

/** One history point: epoch ms, CPU percent and its one-minute average; both null in a gap. */
record Point(long t, Double cpu, Double avg1m) {

  static Point gap(long t) {
    return new Point(t, null, null);
  }

  JsonObject toJson() {
    return new JsonObject().put("t", t).put("cpu", cpu).put("avg1m", avg1m);
  }
}
