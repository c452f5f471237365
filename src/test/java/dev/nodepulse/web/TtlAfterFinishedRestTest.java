package dev.nodepulse.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * spec.ttlAfterFinished standalone: a posted one-shot is deleted (as its DELETE would: task and run history) once the
 * ttl has passed since it finished, also after a restart; one whose ttl has not passed is still listed; a recurring
 * task with it is refused naming the field.
 */
class TtlAfterFinishedRestTest {
  static final String TOKEN = RunNowRestTest.TOKEN;
  /** The agent of the run-now tests (tasks, REST source, web; a runner that counts its calls), in this test's dir. */
  final RunNowRestTest agent = new RunNowRestTest();
  @TempDir Path tmp;

  @AfterEach
  void close() {
    if (agent.vertx != null) {
      agent.close();
    }
  }

  int start() throws Exception {
    agent.tmp = tmp;
    return agent.start();
  }

  static String task(String name, String timing, String ttl) {
    return "{\"metadata\": {\"name\": \"" + name + "\", \"namespace\": \"shop\"}, \"spec\": {" + timing
        + ", \"ttlAfterFinished\": \"" + ttl + "\", \"target\": {\"compute\": {\"pi\": {\"digits\": 10}}}}}";
  }

  static int get(int port, String path) throws Exception {
    return RawHttp.get(port, "127.0.0.1", path).status();
  }

  static JsonObject status(int port, String name) throws Exception {
    return new JsonObject(RawHttp.get(port, "127.0.0.1", "/api/v1/tasks/shop/" + name).body()).getJsonObject("status");
  }

  @Test
  void aFinishedOneShotIsDeletedOnceItsTtlHasPassedAndOneWithALongTtlStays() throws Exception {
    int port = start();
    assertThat(RunNowRestTest.post(port, "/api/v1/tasks", TOKEN, task("kept", "\"delay\": \"0s\"", "1h")).status())
        .isEqualTo(201);
    assertThat(RunNowRestTest.post(port, "/api/v1/tasks", TOKEN, task("brief", "\"delay\": \"0s\"", "2s")).status())
        .isEqualTo(201);
    await().atMost(Duration.ofSeconds(30)).until(() -> "Succeeded".equals(status(port, "kept").getString("phase")));
    await().atMost(Duration.ofSeconds(60)).until(() -> get(port, "/api/v1/tasks/shop/brief") == 404);
    assertThat(agent.starts).as("both ran, once each").hasValue(2);
    assertThat(get(port, "/api/v1/tasks/shop/brief/runs")).as("its run history went with it").isEqualTo(404);
    assertThat(RawHttp.get(port, "127.0.0.1", "/api/v1/tasks").body()).contains("\"kept\"").doesNotContain("\"brief\"");
    assertThat(status(port, "kept").getString("phase")).isEqualTo("Succeeded");
  }

  @Test
  void aTaskThatFinishedBeforeARestartIsDeletedAfterIt() throws Exception {
    int before = start();
    assertThat(RunNowRestTest.post(before, "/api/v1/tasks", TOKEN, task("later", "\"delay\": \"0s\"", "3s")).status())
        .isEqualTo(201);
    await().atMost(Duration.ofSeconds(30)).until(() -> "Succeeded".equals(status(before, "later").getString("phase")));
    agent.vertx.close().await(); // before its ttl has passed (3 s after it finished)
    int p = start();
    assertThat(get(p, "/api/v1/tasks/shop/later")).isIn(200, 404); // restored, unless its ttl passed meanwhile
    await().atMost(Duration.ofSeconds(60)).until(() -> get(p, "/api/v1/tasks/shop/later") == 404);
    assertThat(agent.starts).as("not run again after the restart").hasValue(1);
  }

  @Test
  void aRecurringTaskWithItIsRefusedNamingTheField() throws Exception {
    int port = start();
    RawHttp.Reply r = RunNowRestTest.post(port, "/api/v1/tasks", TOKEN, task("hourly", "\"every\": \"1h\"", "1m"));
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.body()).contains("spec.ttlAfterFinished").contains("'1m' is only accepted for a one-shot task");
    assertThat(get(port, "/api/v1/tasks/shop/hourly")).isEqualTo(404);
  }
}
