package dev.nodepulse;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.config.Config;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A data dir that cannot be used (a plain file in its place) degrades the agent; it does not stop it. */
class UnusableDataDirTest {
  @TempDir Path tmp;

  @Test
  void theAgentStillServesLiveFiguresAndRunsTasks() throws Exception {
    Path notADir = Files.writeString(tmp.resolve("data"), "not a directory");
    Agent agent = Agent.start(Config.forTest(notADir)).await();
    try {
      WebClient client = WebClient.create(agent.vertx());
      int port = agent.httpPort();
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
          client.get(port, "127.0.0.1", "/api/v1/cpu").send().await().statusCode() == 200);

      JsonObject health = client.get(port, "127.0.0.1", "/healthz").send().await().bodyAsJsonObject();
      JsonObject components = health.getJsonObject("components");
      assertThat(components.getJsonObject("sampler").getString("state")).isEqualTo("degraded");
      assertThat(components.getJsonObject("scheduler").getString("state")).isEqualTo("degraded");
      assertThat(components.getJsonObject("scheduler").getString("lastError")).contains("tasks.db unusable");

      String task = """
          {"metadata": {"name": "pi"}, "spec": {"delay": "0s", "target": {"compute": {"pi": {"digits": 50}}}}}""";
      HttpResponse<Buffer> posted = client.post(port, "127.0.0.1", "/api/v1/tasks")
          .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(task)).await();
      assertThat(posted.statusCode()).isEqualTo(201);
      Awaitility.await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
        JsonObject t = client.get(port, "127.0.0.1", "/api/v1/tasks/default/pi").send().await().bodyAsJsonObject();
        assertThat(t.getJsonObject("status").getString("phase")).isEqualTo("Succeeded");
      });
      assertThat(Files.readString(notADir)).isEqualTo("not a directory");
    } finally {
      agent.stop().await();
    }
  }
}
