package dev.nodepulse.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.config.Config;
import dev.nodepulse.metrics.MetricsVerticle;
import dev.nodepulse.sampler.SamplerVerticle;
import dev.nodepulse.web.WebVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * End to end, as node_exporter's own test does it: the sampler, metrics and web concerns of a real agent on a
 * fixture /proc (src/test/resources/proc/known: t1, then t2 for the first sample), and what {@code /metrics} and
 * {@code /api/v1/cpu} answer compared with golden files (src/test/resources/e2e). Only the figures that come from
 * the fixture are compared: the sample's families in {@code /metrics} (not the JVM's or the filesystems of the
 * machine the test runs on), and {@code /api/v1/cpu} with its {@code sampledAt} masked. Run with
 * {@code -Dgolden.update=true} to rewrite the golden files after a deliberate change.
 */
class GoldenEndToEndTest {
  /** The families that come from the sample read from the fixture. */
  static final List<String> FAMILIES = List.of("nodepulse_cpu_", "nodepulse_load", "nodepulse_memory_");
  /** Long enough that the fixture's second snapshot is in place before the first sample, on a busy machine too. */
  static final long FIRST_SAMPLE_MS = 5_000;

  @TempDir Path tmp;
  Vertx vertx = Vertx.vertx();

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  static void copy(String resource, Path to) throws IOException {
    try (InputStream in = GoldenEndToEndTest.class.getResourceAsStream(resource)) {
      assertThat(in).as("fixture %s", resource).isNotNull();
      Path tmp = to.resolveSibling(to.getFileName() + ".tmp");
      Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
      Files.move(tmp, to, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  static String golden(String name, String actual) throws IOException {
    Path file = Path.of("src/test/resources/e2e", name);
    if (Boolean.getBoolean("golden.update")) {
      Files.createDirectories(file.getParent());
      Files.writeString(file, actual);
    }
    return Files.readString(file, StandardCharsets.UTF_8);
  }

  @Test
  void metricsAndCpuFromAFixtureProcMatchTheGoldenFiles() throws Exception {
    Path proc = Files.createDirectories(tmp.resolve("proc"));
    copy("/proc/known/t1/stat", proc.resolve("stat"));
    copy("/proc/known/t1/loadavg", proc.resolve("loadavg"));
    copy("/proc/known/t1/meminfo", proc.resolve("meminfo"));
    Files.createDirectories(proc.resolve("sys/kernel"));
    Files.writeString(proc.resolve("sys/kernel/hostname"), "fixture\n");
    Files.writeString(proc.resolve("sys/kernel/osrelease"), "6.1.0-fixture\n");
    Config config = Config.forTest(tmp.resolve("data"), "--procfs", proc.toString(), "--sample-interval", "1m",
        "--node-name", "fixture-node");
    get(vertx.deployVerticle(new MetricsVerticle(config)));
    get(vertx.deployVerticle(SamplerVerticle.withFirstSampleAfter(config, FIRST_SAMPLE_MS))); // t1 read: the baseline
    assertThat(latestOrNull()).as("no sample before the fixture's second snapshot is in place").isNull();
    copy("/proc/known/t2/stat", proc.resolve("stat"));
    WebVerticle web = new WebVerticle(config, List.of("sampler", "metrics", "web"));
    get(vertx.deployVerticle(web));
    await().atMost(Duration.ofSeconds(60)).until(() -> latestOrNull() != null);

    WebClient client = WebClient.create(vertx);
    String metrics = get(client.get(web.httpPort(), "127.0.0.1", "/metrics").send()).bodyAsString();
    String sampleFamilies = metrics.lines()
        .filter(l -> FAMILIES.stream().anyMatch(f -> l.startsWith(f) || l.startsWith("# HELP " + f)
            || l.startsWith("# TYPE " + f)))
        .collect(Collectors.joining("\n", "", "\n"));
    assertThat(sampleFamilies).isEqualTo(golden("metrics.prom", sampleFamilies));

    JsonObject cpu = get(client.get(web.httpPort(), "127.0.0.1", "/api/v1/cpu").send()).bodyAsJsonObject();
    assertThat(cpu.getString("sampledAt")).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
    String masked = cpu.put("sampledAt", "<sampledAt>").encodePrettily() + "\n";
    assertThat(masked).isEqualTo(golden("cpu.json", masked));
  }

  JsonObject latestOrNull() throws Exception {
    return get(vertx.eventBus().<JsonObject>request(SamplerVerticle.LATEST, new JsonObject())
        .map(m -> m.body()).otherwise(err -> null));
  }
}
