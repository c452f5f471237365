package dev.nodepulse.sampler;

import static dev.nodepulse.sampler.Bus.ask;
import static dev.nodepulse.sampler.Bus.awaitSamples;
import static dev.nodepulse.sampler.Bus.health;
import static dev.nodepulse.sampler.Fixtures.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nodepulse.config.Config;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The sampler on this machine's real /proc. */
@ExtendWith(VertxExtension.class)
class SamplerVerticleTest {

  @Test
  void a_published_sample_has_the_documented_shape_and_sane_figures(Vertx vertx, @TempDir Path dir) throws Exception {
    CompletableFuture<JsonObject> second = new CompletableFuture<>();
    int[] seen = {0};
    vertx.eventBus().<JsonObject>consumer(SamplerVerticle.SAMPLE, m -> {
      if (++seen[0] == 2) {
        second.complete(m.body());
      }
    });
    await(vertx.deployVerticle(new SamplerVerticle(Config.forTest(dir, "--sample-interval", "200ms"))));
    JsonObject s = second.get(20, TimeUnit.SECONDS);
    JsonObject host = ask(vertx, SamplerVerticle.HOST, new JsonObject());

    assertThat(s.fieldNames()).containsExactlyInAnyOrder("t", "sampledAt", "cpu", "times", "seconds", "memory", "partitions");
    assertThat(java.time.Instant.parse(s.getString("sampledAt")).toEpochMilli()).isEqualTo(s.getLong("t"));

    JsonObject cpu = s.getJsonObject("cpu");
    assertThat(cpu.fieldNames()).containsExactlyInAnyOrder("percent", "perCore", "avg1m", "load");
    assertThat(cpu.getDouble("percent")).isBetween(0.0, 100.0);
    assertThat(cpu.getDouble("avg1m")).isBetween(0.0, 100.0);
    long onlineCpus = Files.readAllLines(Path.of("/proc/stat")).stream().filter(l -> l.matches("cpu\\d+ .*")).count();
    JsonArray perCore = cpu.getJsonArray("perCore");
    assertThat(perCore.size()).isEqualTo(host.getInteger("logicalCpus")).isEqualTo((int) onlineCpus);
    for (int i = 0; i < perCore.size(); i++) {
      assertThat(perCore.getDouble(i)).isBetween(0.0, 100.0);
    }
    assertThat(cpu.getJsonObject("load").fieldNames()).containsExactlyInAnyOrder("1m", "5m", "15m");

    JsonObject total = s.getJsonObject("times").getJsonObject("total");
    assertThat(total.fieldNames()).contains("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal");
    double sum = 0;
    for (String mode : new String[] {"user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"}) {
      assertThat(total.getDouble(mode)).isBetween(0.0, 100.0);
      sum += total.getDouble(mode);
    }
    assertThat(sum).isBetween(99.0, 101.0);
    assertThat(s.getJsonObject("times").getJsonArray("perCore")).hasSize(perCore.size());

    JsonArray seconds = s.getJsonArray("seconds");
    assertThat(seconds).hasSize(perCore.size());
    assertThat(seconds.getJsonObject(0).getString("cpu")).isEqualTo("0");
    assertThat(seconds.getJsonObject(0).getDouble("idle")).isPositive();

    JsonObject mem = s.getJsonObject("memory");
    assertThat(mem.fieldNames()).containsExactlyInAnyOrder("totalBytes", "availableBytes", "usedBytes", "swapTotalBytes", "swapUsedBytes");
    assertThat(mem.getLong("totalBytes")).isPositive().isGreaterThanOrEqualTo(mem.getLong("usedBytes"));

    JsonArray parts = s.getJsonArray("partitions");
    assertThat(parts).isNotEmpty();
    for (Object o : parts) {
      JsonObject p = (JsonObject) o;
      assertThat(p.getString("fsType")).isNotIn("tmpfs", "proc", "overlay", "sysfs", "cgroup2");
      assertThat(p.getDouble("usedPercent")).isBetween(0.0, 100.0);
    }
  }

  @Test
  void latest_fails_503_before_the_first_sample_then_answers(Vertx vertx, @TempDir Path dir) {
    await(vertx.deployVerticle(new SamplerVerticle(Config.forTest(dir, "--sample-interval", "1s"))));
    assertThat(health(vertx).getString("state")).isEqualTo("starting");
    assertThatThrownBy(() -> ask(vertx, SamplerVerticle.LATEST, new JsonObject()))
        .rootCause().isInstanceOfSatisfying(ReplyException.class, e -> {
          assertThat(e.failureCode()).isEqualTo(503);
          assertThat(new JsonObject(e.getMessage()).getString("error")).isEqualTo("no sample yet");
        });
    awaitSamples(vertx, 1);
    assertThat(ask(vertx, SamplerVerticle.LATEST, new JsonObject()).getJsonObject("cpu").getDouble("percent")).isBetween(0.0, 100.0);
    JsonObject h = health(vertx);
    assertThat(h.getString("state")).isEqualTo("up");
    assertThat(h.getBoolean("ready")).isTrue();
    assertThat(h.getLong("historyPoints")).isPositive();
    assertThat(h.getString("lastSampleAt")).isNotNull();
    assertThat(h.getString("lastError")).isNull();
  }

  @Test
  void host_facts_have_the_documented_fields(Vertx vertx, @TempDir Path dir) {
    await(vertx.deployVerticle(new SamplerVerticle(Config.forTest(dir, "--node-name", "node-a"))));
    JsonObject h = ask(vertx, SamplerVerticle.HOST, new JsonObject());
    assertThat(h.fieldNames()).containsExactlyInAnyOrder("hostname", "nodeName", "os", "kernel", "arch", "cpuModel",
        "logicalCpus", "physicalCpus", "bootTime", "uptimeSeconds");
    assertThat(h.getString("nodeName")).isEqualTo("node-a");
    assertThat(h.getInteger("logicalCpus")).isPositive();
    assertThat(h.getInteger("physicalCpus")).isPositive();
    assertThat(h.getString("kernel")).isEqualTo(readTrim("/proc/sys/kernel/osrelease"));
    assertThat(h.getLong("uptimeSeconds")).isPositive();
    assertThat(java.time.Instant.parse(h.getString("bootTime"))).isBefore(java.time.Instant.now());
  }

  @Test
  void bad_requests_fail_400_naming_the_field(Vertx vertx, @TempDir Path dir) {
    await(vertx.deployVerticle(new SamplerVerticle(Config.forTest(dir))));
    for (Object top : new Object[] {0, 101, "ten", 2.5}) {
      expect400(() -> ask(vertx, SamplerVerticle.PROCESSES, new JsonObject().put("top", top)), "top");
    }
    for (Object window : new Object[] {0, -5, "1h"}) {
      expect400(() -> ask(vertx, SamplerVerticle.HISTORY, new JsonObject().put("windowMs", window)), "windowMs");
    }
  }

  private static void expect400(Runnable r, String field) {
    assertThatThrownBy(r::run).rootCause().isInstanceOfSatisfying(ReplyException.class, re -> {
      assertThat(re.failureCode()).isEqualTo(400);
      assertThat(new JsonObject(re.getMessage()).getString("error")).startsWith(field + " ");
    });
  }

  private static String readTrim(String path) {
    try {
      return Files.readString(Path.of(path)).trim();
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }
}
