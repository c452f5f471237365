package dev.nodepulse.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import dev.nodepulse.testing.Tools;
import io.vertx.ext.web.client.WebClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Schemathesis drives the running agent from /openapi.yaml with every check, the stateful phase too (tasks
 * created, read and deleted through the description's links): no 5xx on any generated input, every answer
 * (status, content type, schema, 405 with Allow) as the description says, with tasks of a tasks dir beside
 * (a name another source holds, a task that cannot be read).
 */
class SchemathesisIT {
  private static final Duration WALL_CLOCK = Duration.ofMinutes(6);
  @TempDir Path tmp;

  @Test
  void everyOperationMatchesTheDescription() throws Exception {
    // tasks of another source: one holds the name of the description's example (so POSTing it and deleting it are
    // 409s), one cannot be read (listed as Failed, without a spec)
    Path tasks = Files.createDirectories(tmp.resolve("tasks"));
    Files.writeString(tasks.resolve("pi-100.yaml"), "metadata: {name: pi-100}\nspec: {delay: 24h, target: {pipe: {name: x}}}\n");
    Files.writeString(tasks.resolve("broken.yaml"), "metadata: {name: broken}\nspec: {delay: soon}\n");
    Agent agent = Agent.start(Config.forTest(tmp, "--tasks-dir", tasks.toString(),
        // generated tasks really run: keep them on loopback and small
        "--destination-allow", "127.0.0.1/32", "--max-pi-digits", "1000", "--max-compute-time", "5s")).await();
    try {
      WebClient client = WebClient.create(agent.vertx());
      int port = agent.httpPort();
      await().atMost(Duration.ofSeconds(30)).until(() ->
          client.get(port, "127.0.0.1", "/readyz").timeout(5000).send().await().statusCode() == 200);

      List<String> cmd = new ArrayList<>(List.of(Tools.schemathesis().toString(),
          "--config-file", Path.of("src/test/resources/schemathesis.toml").toAbsolutePath().toString(),
          "--no-color", "run",
          "http://127.0.0.1:" + port + "/openapi.yaml",
          "--checks", "all",
          // stateful: the description's links from POST to GET and DELETE of the created task
          "--phases", "examples,coverage,fuzzing,stateful",
          "--max-examples", "30",
          "--seed", "20261123",
          "--workers", "1", // one worker: hypothesis' lambda-source cache crashed once with two threads
          "--request-timeout", "15",
          "--suppress-health-check", "too_slow",
          "--report", "junit",
          "--report-dir", "schemathesis"));
      Path log = Files.createTempFile(tmp, "schemathesis", ".log");
      // run in target/, so schemathesis' cache (.schemathesis/) and its report stay out of the sources
      Process p = new ProcessBuilder(cmd).directory(Path.of("target").toFile()).redirectErrorStream(true)
          .redirectOutput(log.toFile()).start();
      boolean finished = p.waitFor(WALL_CLOCK.toSeconds(), TimeUnit.SECONDS);
      if (!finished) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
      String out = Files.readString(log, StandardCharsets.UTF_8);
      assertThat(finished).as("schemathesis finished within %s; output:%n%s", WALL_CLOCK, out).isTrue();
      assertThat(p.exitValue()).as("schemathesis exit code; output:%n%s", out).isZero();
      System.out.println(out.lines().filter(l -> l.contains("passed") || l.contains("Test cases")).reduce("", (a, b) -> a + b + "\n"));
    } finally {
      agent.stop().await();
    }
  }
}
