package dev.nodepulse.web;

import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Stands in for the sampler on its request/reply addresses, with the fixed sample in sample.json. */
final class FakeSampler {
  final JsonObject sample = load();
  final List<JsonObject> asked = new CopyOnWriteArrayList<>();
  private final List<MessageConsumer<JsonObject>> consumers = new CopyOnWriteArrayList<>();

  FakeSampler(Vertx vertx) {
    consumers.add(vertx.eventBus().<JsonObject>consumer(Api.SAMPLER_LATEST, m -> m.reply(sample)));
    consumers.add(vertx.eventBus().<JsonObject>consumer(Api.SAMPLER_HOST, m -> m.reply(new JsonObject()
        .put("hostname", "box").put("nodeName", "box").put("os", "Linux").put("kernel", "6.1.0").put("arch", "amd64")
        .put("cpuModel", "Test CPU").put("logicalCpus", 2).put("physicalCpus", 1)
        .put("bootTime", "2026-11-23T10:00:00Z").put("uptimeSeconds", 3600))));
    consumers.add(vertx.eventBus().<JsonObject>consumer(Api.SAMPLER_PROCESSES, m -> {
      asked.add(m.body().copy().put("address", Api.SAMPLER_PROCESSES));
      JsonArray ps = new JsonArray();
      for (int i = 0; i < m.body().getInteger("top"); i++) {
        ps.add(new JsonObject().put("pid", 100 + i).put("ppid", 1).put("name", "p" + i).put("user", "root")
            .put("cpuPercent", 1.5).put("rssBytes", 1024).put("startedAt", "2026-11-23T10:00:00Z"));
      }
      m.reply(new JsonObject().put("processes", ps));
    }));
    consumers.add(vertx.eventBus().<JsonObject>consumer(Api.SAMPLER_HISTORY, m -> {
      asked.add(m.body().copy().put("address", Api.SAMPLER_HISTORY));
      m.reply(new JsonObject().put("points", new JsonArray()
          .add(new JsonObject().put("t", 1763895599000L).put("cpu", 10.0).put("avg1m", 9.0))
          .add(new JsonObject().put("t", 1763895600000L).putNull("cpu").putNull("avg1m"))));
    }));
    consumers.add(vertx.eventBus().<JsonObject>consumer("nodepulse.health.sampler",
        m -> m.reply(new JsonObject().put("state", "up").put("ready", true))));
  }

  void close() {
    consumers.forEach(MessageConsumer::unregister);
  }

  static JsonObject load() {
    try (InputStream in = FakeSampler.class.getResourceAsStream("/sample.json")) {
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
