package dev.nodepulse.scheduler;

import dev.nodepulse.config.Config;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;

/** Placeholder until the scheduler concern lands. */
public final class SchedulerVerticle extends VerticleBase {
  private final Config config;

  public SchedulerVerticle(Config config) {
    this.config = config;
  }

  @Override
  public Future<?> start() {
    vertx.eventBus().consumer("nodepulse.health.scheduler", msg -> msg.reply(new io.vertx.core.json.JsonObject()
        .put("state", "up").put("ready", true).put("placeholder", config != null)));
    return Future.succeededFuture();
  }
}
