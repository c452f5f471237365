package dev.nodepulse.sampler;

import static dev.nodepulse.sampler.Bus.ask;
import static dev.nodepulse.sampler.Bus.awaitSamples;
import static dev.nodepulse.sampler.Fixtures.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.config.Config;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.eventbus.ReplyFailure;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** /proc/<pid> is scanned only while someone asks for processes. */
@ExtendWith(VertxExtension.class)
class ProcessesScanTest {

  @Test
  void no_scan_until_asked_then_a_ranked_answer_and_scans_at_each_tick(Vertx vertx, @TempDir Path dir) {
    SamplerVerticle sampler = new SamplerVerticle(Config.forTest(dir, "--sample-interval", "100ms"));
    await(vertx.deployVerticle(sampler));
    awaitSamples(vertx, 5);
    assertThat(sampler.processScans.get()).as("nobody asked: no scan").isZero();

    JsonArray procs = ask(vertx, SamplerVerticle.PROCESSES, new JsonObject().put("top", 3)).getJsonArray("processes");
    // a baseline scan and one more, so percentages are over an interval
    assertThat(sampler.processScans.get()).isGreaterThanOrEqualTo(2);
    assertThat(procs.size()).isBetween(1, 3);
    double previous = Double.MAX_VALUE;
    for (Object o : procs) {
      JsonObject p = (JsonObject) o;
      assertThat(p.fieldNames()).containsExactlyInAnyOrder("pid", "ppid", "name", "user", "cpuPercent", "rssBytes", "startedAt");
      assertThat(p.getDouble("cpuPercent")).isGreaterThanOrEqualTo(0.0).isLessThanOrEqualTo(previous);
      previous = p.getDouble("cpuPercent");
      assertThat(java.time.Instant.parse(p.getString("startedAt"))).isBefore(java.time.Instant.now());
    }
    // our own JVM is a process on this machine: a full list finds it
    JsonArray all = ask(vertx, SamplerVerticle.PROCESSES, new JsonObject().put("top", 100)).getJsonArray("processes");
    if (all.size() < 100) {
      assertThat(all.stream().map(o -> ((JsonObject) o).getInteger("pid"))).contains((int) ProcessHandle.current().pid());
    }
    assertThat(ask(vertx, SamplerVerticle.PROCESSES, new JsonObject()).getJsonArray("processes").size()).isLessThanOrEqualTo(10);

    // scanning goes on at each tick while the asker is recent
    int scans = sampler.processScans.get();
    await().atMost(Duration.ofSeconds(10)).until(() -> sampler.processScans.get() >= scans + 3);
  }

  @Test
  void a_failed_scan_answers_the_waiting_request_at_once(Vertx vertx, @TempDir Path dir) throws Exception {
    Path procfs = Files.createDirectories(dir.resolve("proc"));
    try (var files = Files.list(Fixtures.proc("known/t1"))) {
      for (Path f : files.toList()) {
        Files.copy(f, procfs.resolve(f.getFileName().toString()));
      }
    }
    await(vertx.deployVerticle(new SamplerVerticle(Config.forTest(dir.resolve("data"), "--procfs", procfs.toString(),
        "--sample-interval", "100ms"))));
    try (var files = Files.list(procfs)) {
      for (Path f : files.toList()) {
        Files.delete(f);
      }
    }
    Files.delete(procfs); // /proc cannot be listed any more

    Throwable failure = vertx.eventBus().request(SamplerVerticle.PROCESSES, new JsonObject().put("top", 1),
        new DeliveryOptions().setSendTimeout(5_000)).toCompletionStage().toCompletableFuture()
        .handle((ok, err) -> err).get(10, java.util.concurrent.TimeUnit.SECONDS);
    assertThat(failure).isInstanceOf(ReplyException.class);
    ReplyException re = (ReplyException) failure;
    assertThat(re.failureType()).as("answered, not timed out").isEqualTo(ReplyFailure.RECIPIENT_FAILURE);
    assertThat(re.failureCode()).isEqualTo(503);
    assertThat(re.getMessage()).contains("process scan failed", procfs.toString());
  }

  @Test
  void scanning_stops_once_nobody_has_asked_for_the_linger_time(Vertx vertx, @TempDir Path dir) {
    SamplerVerticle sampler = new SamplerVerticle(Config.forTest(dir, "--sample-interval", "100ms"));
    sampler.processLingerMs = 500;
    await(vertx.deployVerticle(sampler));
    ask(vertx, SamplerVerticle.PROCESSES, new JsonObject().put("top", 1));
    long samplesAtRequest = Bus.health(vertx).getLong("samples");

    // the scan count stays the same for a second (ten ticks) while samples keep coming
    AtomicInteger seen = new AtomicInteger(-1);
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(100)).during(Duration.ofSeconds(1))
        .until(() -> seen.getAndSet(sampler.processScans.get()) == sampler.processScans.get());
    assertThat(Bus.health(vertx).getLong("samples")).isGreaterThanOrEqualTo(samplesAtRequest + 10);

    // a new request starts scanning again
    int scans = sampler.processScans.get();
    ask(vertx, SamplerVerticle.PROCESSES, new JsonObject().put("top", 1));
    assertThat(sampler.processScans.get()).isGreaterThanOrEqualTo(scans + 2);
  }
}
