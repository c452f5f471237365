package dev.nodepulse.sampler;

import static org.awaitility.Awaitility.await;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;

/** Event-bus requests to the sampler from a test thread, bounded in time. */
final class Bus {
  private Bus() {}

  static JsonObject ask(Vertx vertx, String address, JsonObject body) {
    return Fixtures.await(vertx.eventBus().<JsonObject>request(address, body)).body();
  }

  static JsonObject health(Vertx vertx) {
    return ask(vertx, SamplerVerticle.HEALTH, new JsonObject());
  }

  static JsonArray history(Vertx vertx, long windowMs) {
    return ask(vertx, SamplerVerticle.HISTORY, new JsonObject().put("windowMs", windowMs)).getJsonArray("points");
  }

  /** Waits until the deployed sampler has taken at least {@code n} samples. */
  static void awaitSamples(Vertx vertx, long n) {
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50))
        .until(() -> health(vertx).getLong("samples") >= n);
  }
}
