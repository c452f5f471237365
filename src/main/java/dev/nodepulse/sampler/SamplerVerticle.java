package dev.nodepulse.sampler;

import dev.nodepulse.config.Config;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Placeholder until the sampler concern lands. */
public final class SamplerVerticle extends VerticleBase {
  private final Config config;

  public SamplerVerticle(Config config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    vertx.eventBus().consumer("nodepulse.health.sampler", msg -> msg.reply(new io.vertx.core.json.JsonObject()
        .put("state", "up").put("ready", true).put("placeholder", config != null)));
    return Future.succeededFuture();
  }
}
