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

/**
 * A data dir that cannot be used (a plain file in its place) degrades the agent; it does not stop it. The live
 * figures go on; no task state can be recorded, so nothing is promised: a REST post is refused (503) saying why,
 * and the scheduler is not ready, saying why.
 */
class UnusableDataDirTest {
  @TempDir Path tmp;

  @Test
  void theAgentStillServesLiveFiguresAndRefusesWhatItCannotKeep() throws Exception {
    Path notADir = Files.writeString(tmp.resolve("data"), "not a directory");
    Agent agent = Agent.start(Config.forTest(notADir)).await();
    try {
      WebClient client = WebClient.create(agent.vertx());
      int port = agent.httpPort();
      Awaitility.await().atMost(Duration.ofSeconds(20)).until(() ->
          client.get(port, "127.0.0.1", "/api/v1/cpu").send().await().statusCode() == 200);

      HttpResponse<Buffer> ready = client.get(port, "127.0.0.1", "/readyz").send().await();
      assertThat(ready.statusCode()).isEqualTo(503);
      JsonObject components = ready.bodyAsJsonObject().getJsonObject("components");
      assertThat(components.getJsonObject("sampler").getString("state")).isEqualTo("degraded");
      JsonObject scheduler = components.getJsonObject("scheduler");
      assertThat(scheduler.getString("state")).isEqualTo("degraded");
      assertThat(scheduler.getBoolean("ready")).isFalse();
      assertThat(scheduler.getString("lastError")).startsWith("cannot write tasks.db: not a directory: " + notADir
          + "; runs are held until it can be written");

      String task = """
          {"metadata": {"name": "pi"}, "spec": {"delay": "0s", "target": {"compute": {"pi": {"digits": 50}}}}}""";
      HttpResponse<Buffer> posted = client.post(port, "127.0.0.1", "/api/v1/tasks")
          .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(task)).await();
      assertThat(posted.statusCode()).isEqualTo(503);
      assertThat(posted.bodyAsJsonObject().getString("error")).startsWith("the task is not stored: cannot write tasks.db: not a directory: " + notADir);
      assertThat(client.get(port, "127.0.0.1", "/api/v1/tasks/default/pi").send().await().statusCode()).isEqualTo(404);
      assertThat(Files.readString(notADir)).isEqualTo("not a directory");
    } finally {
      agent.stop().await();
    }
  }
}
