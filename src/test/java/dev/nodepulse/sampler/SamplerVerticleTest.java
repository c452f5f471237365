package dev.nodepulse.sampler;

import dev.nodepulse.bus.Sample;
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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sample contract on this machine, read by each sampler: the /proc readers and OSHI ({@code --sampler oshi}) give
 * the same shape, the same fields and sane figures.
 */
@ExtendWith(VertxExtension.class)
class SamplerVerticleTest {

  @ParameterizedTest(name = "--sampler {0}")
  @ValueSource(strings = {"procfs", "oshi"})
  void a_published_sample_has_the_documented_shape_and_sane_figures(String sampler, Vertx vertx, @TempDir Path dir) throws Exception {
    CompletableFuture<JsonObject> second = new CompletableFuture<>();
    int[] seen = {0};
    vertx.eventBus().<JsonObject>consumer(Sample.ADDRESS, m -> {
      if (++seen[0] == 2) {
        second.complete(m.body());
      }
    });
    await(vertx.deployVerticle(new SamplerVerticle(Config.forTest(dir, "--sampler", sampler, "--sample-interval", "200ms"))));
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

  @ParameterizedTest(name = "--sampler {0}")
  @ValueSource(strings = {"procfs", "oshi"})
  void latest_fails_503_before_the_first_sample_then_answers(String sampler, Vertx vertx, @TempDir Path dir) {
    // the first sample 3 s after the baseline read, so that "before" is not over while SQLite loads on a busy machine
    await(vertx.deployVerticle(SamplerVerticle.withFirstSampleAfter(
        Config.forTest(dir, "--sampler", sampler, "--sample-interval", "3s"), 3000)));
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
    assertThat(h.getString("source")).isEqualTo(sampler);
    assertThat(h.getJsonArray("absent")).as("Linux counts every figure").isEmpty();
  }

  @ParameterizedTest(name = "--sampler {0}")
  @ValueSource(strings = {"procfs", "oshi"})
  void host_facts_have_the_documented_fields(String sampler, Vertx vertx, @TempDir Path dir) throws Exception {
    await(vertx.deployVerticle(new SamplerVerticle(Config.forTest(dir, "--sampler", sampler, "--node-name", "node-a"))));
    JsonObject h = ask(vertx, SamplerVerticle.HOST, new JsonObject());
    assertThat(h.fieldNames()).containsExactlyInAnyOrder("hostname", "nodeName", "os", "kernel", "arch", "cpuModel",
        "logicalCpus", "physicalCpus", "bootTime", "uptimeSeconds");
    assertThat(h.getString("nodeName")).isEqualTo("node-a");
    assertThat(h.getInteger("logicalCpus")).isPositive();
    assertThat(h.getInteger("physicalCpus")).isPositive();
    assertThat(h.getString("kernel")).isEqualTo(readTrim("/proc/sys/kernel/osrelease"));
    assertThat(h.getLong("uptimeSeconds")).isPositive();
    assertThat(java.time.Instant.parse(h.getString("bootTime"))).isBefore(java.time.Instant.now());
    long btime = Files.readAllLines(Path.of("/proc/stat")).stream().filter(l -> l.startsWith("btime "))
        .mapToLong(l -> Long.parseLong(l.substring(6).trim())).findFirst().orElseThrow();
    assertThat(java.time.Instant.parse(h.getString("bootTime")).getEpochSecond()).isBetween(btime - 1, btime + 1);
    assertThat(h.getString("cpuModel")).isNotBlank().isNotEqualTo("unknown");
  }

  @ParameterizedTest(name = "--sampler {0}")
  @ValueSource(strings = {"procfs", "oshi"})
  void the_busiest_processes_include_this_one(String sampler, Vertx vertx, @TempDir Path dir) {
    await(vertx.deployVerticle(new SamplerVerticle(Config.forTest(dir, "--sampler", sampler, "--sample-interval", "200ms"))));
    awaitSamples(vertx, 1);
    JsonArray procs = ask(vertx, SamplerVerticle.PROCESSES, new JsonObject().put("top", 100)).getJsonArray("processes");
    assertThat(procs).isNotEmpty();
    JsonObject me = procs.stream().map(JsonObject.class::cast)
        .filter(p -> p.getInteger("pid") == ProcessHandle.current().pid()).findFirst().orElse(null);
    if (me != null) { // among the 100 busiest (nearly certain: the test JVM is busy)
      assertThat(me.getString("name")).isEqualTo("java");
      assertThat(me.getLong("rssBytes")).isGreaterThan(10L << 20);
      assertThat(java.time.Instant.parse(me.getString("startedAt")))
          .isBetween(ProcessHandle.current().info().startInstant().orElseThrow().minusSeconds(2), java.time.Instant.now());
    }
    for (Object o : procs) {
      JsonObject p = (JsonObject) o;
      assertThat(p.fieldNames()).containsExactlyInAnyOrder("pid", "ppid", "name", "user", "cpuPercent", "rssBytes", "startedAt");
      assertThat(p.getDouble("cpuPercent")).isGreaterThanOrEqualTo(0.0);
    }
  }

  @ParameterizedTest(name = "--sampler {0}")
  @ValueSource(strings = {"procfs", "oshi"})
  void bad_requests_fail_400_naming_the_field(String sampler, Vertx vertx, @TempDir Path dir) {
    await(vertx.deployVerticle(new SamplerVerticle(Config.forTest(dir, "--sampler", sampler))));
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
