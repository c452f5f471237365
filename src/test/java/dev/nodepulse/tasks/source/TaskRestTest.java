package dev.nodepulse.tasks.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** /api/v1/tasks on a whole agent started in-process, with a tasks directory. */
class TaskRestTest {
  @TempDir Path tmp;
  Agent agent;
  WebClient client;
  Path dir;

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(15, TimeUnit.SECONDS);
  }

  @BeforeEach
  void start() throws Exception {
    dir = Files.createDirectories(tmp.resolve("tasks"));
    agent = get(Agent.start(Config.forTest(tmp.resolve("data"), "--tasks-dir", dir.toString())));
    client = WebClient.create(agent.vertx());
  }

  @AfterEach
  void stop() throws Exception {
    get(agent.stop());
  }

  HttpResponse<Buffer> post(String contentType, String body) throws Exception {
    return post("", contentType, body);
  }

  /** {@code query}: after the path, such as {@code ?dryRun=All}. */
  HttpResponse<Buffer> post(String query, String contentType, String body) throws Exception {
    var req = client.post(agent.httpPort(), "127.0.0.1", "/api/v1/tasks" + query);
    if (contentType != null) {
      req.putHeader("Content-Type", contentType);
    }
    return get(req.sendBuffer(Buffer.buffer(body)));
  }

  HttpResponse<Buffer> getPath(String path) throws Exception {
    return get(client.get(agent.httpPort(), "127.0.0.1", path).send());
  }

  static final String JSON = "{\"apiVersion\": \"nodepulse.dev/v1alpha1\", \"kind\": \"DelayedTask\", "
      + "\"metadata\": {\"name\": \"warm\", \"namespace\": \"shop\"}, "
      + "\"spec\": {\"delay\": \"1h\", \"target\": {\"compute\": {\"pi\": {\"digits\": 10}}}}}";
  static final String YAML = """
      metadata: {name: warm, namespace: shop}
      spec:
        every: 30m
        target: {compute: {pi: {digits: 20}}}
      """;

  @Test
  void postGetListAndDelete() throws Exception {
    HttpResponse<Buffer> created = post("application/json", JSON);
    assertThat(created.statusCode()).isEqualTo(201);
    assertThat(created.getHeader("Content-Type")).startsWith("application/json");
    assertThat(created.bodyAsJsonObject().getJsonObject("metadata").getString("name")).isEqualTo("warm");

    HttpResponse<Buffer> replaced = post("application/yaml; charset=utf-8", YAML);
    assertThat(replaced.statusCode()).isEqualTo(200);
    assertThat(replaced.bodyAsJsonObject().getJsonObject("spec").getString("every")).isEqualTo("30m");

    assertThat(post("text/yaml", YAML.replace("name: warm", "name: cool")).statusCode()).isEqualTo(201);
    assertThat(post("application/x-yaml", YAML.replace("name: warm", "name: cool")).statusCode()).isEqualTo(200);
    assertThat(get(client.delete(agent.httpPort(), "127.0.0.1", "/api/v1/tasks/shop/cool").send()).statusCode())
        .isEqualTo(204);

    HttpResponse<Buffer> one = getPath("/api/v1/tasks/shop/warm");
    assertThat(one.statusCode()).isEqualTo(200);
    JsonObject task = one.bodyAsJsonObject();
    assertThat(task.getString("kind")).isEqualTo("DelayedTask");
    assertThat(task.getJsonObject("status").getString("phase")).isEqualTo("Scheduled");
    assertThat(task.getJsonObject("metadata").getLong("generation")).isEqualTo(2);

    Files.writeString(dir.resolve("file.yaml"), "metadata: {name: from-file}\nspec:\n  delay: 1h\n"
        + "  target: {compute: {pi: {digits: 10}}}\n");
    await().atMost(Duration.ofSeconds(30)).until(() ->
        getPath("/api/v1/tasks").bodyAsJsonObject().getJsonArray("items").size() == 2);

    HttpResponse<Buffer> del = get(client.delete(agent.httpPort(), "127.0.0.1", "/api/v1/tasks/shop/warm").send());
    assertThat(del.statusCode()).isEqualTo(204);
    HttpResponse<Buffer> again = get(client.delete(agent.httpPort(), "127.0.0.1", "/api/v1/tasks/shop/warm").send());
    assertThat(again.statusCode()).isEqualTo(404);
    assertThat(again.bodyAsJsonObject().getString("error")).isEqualTo("task shop/warm not found");
    HttpResponse<Buffer> missing = getPath("/api/v1/tasks/shop/warm");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.bodyAsJsonObject().getString("error")).isEqualTo("task shop/warm not found");
    // a file's task cannot be deleted through REST
    HttpResponse<Buffer> fileTask = get(client.delete(agent.httpPort(), "127.0.0.1",
        "/api/v1/tasks/default/from-file").send());
    assertThat(fileTask.statusCode()).isEqualTo(409);
  }

  @Test
  void wrongContentTypeInvalidTaskAndTooLargeBody() throws Exception {
    HttpResponse<Buffer> plain = post("text/plain", JSON);
    assertThat(plain.statusCode()).isEqualTo(415);
    assertThat(plain.bodyAsJsonObject().getString("error")).contains("application/json");

    HttpResponse<Buffer> bad = post("application/yaml", """
        metadata: {name: warm}
        spec:
          delay: 5x
          target: {http: {url: "ftp://x/"}}
        """);
    assertThat(bad.statusCode()).isEqualTo(400);
    JsonObject err = bad.bodyAsJsonObject();
    assertThat(err.getString("error")).contains("spec.delay");
    assertThat(err.getJsonArray("details")).extracting(d -> ((JsonObject) d).getString("field"))
        .containsExactlyInAnyOrder("spec.delay", "spec.target.http.url");

    HttpResponse<Buffer> broken = post("application/json", "{\"metadata\": ");
    assertThat(broken.statusCode()).isEqualTo(400);
    assertThat(broken.bodyAsJsonObject().getJsonArray("details").getJsonObject(0).getString("field"))
        .isEqualTo("(document)");

    HttpResponse<Buffer> huge = post("application/json", "{\"x\": \"" + "a".repeat(300 * 1024) + "\"}");
    assertThat(huge.statusCode()).isEqualTo(413);
    assertThat(huge.bodyAsJsonObject().getString("error")).contains("too large");

    assertThat(getPath("/api/v1/tasks").bodyAsJsonObject().getJsonArray("items")).isEmpty();
  }

  @Test
  void postedTasksSurviveARestart() throws Exception {
    assertThat(post("application/json", JSON).statusCode()).isEqualTo(201);
    get(agent.stop());
    agent = get(Agent.start(Config.forTest(tmp.resolve("data"), "--tasks-dir", dir.toString())));
    client = WebClient.create(agent.vertx());
    HttpResponse<Buffer> one = getPath("/api/v1/tasks/shop/warm");
    assertThat(one.statusCode()).isEqualTo(200);
    assertThat(one.bodyAsJsonObject().getJsonObject("spec").getString("delay")).isEqualTo("1h");
  }

  @Test
  void aMissingContentTypeIsNamedAndABrokenBodyShowsNoParserInternals() throws Exception {
    HttpResponse<Buffer> none = post(null, JSON);
    assertThat(none.statusCode()).isEqualTo(415);
    assertThat(none.bodyAsJsonObject().getString("error")).startsWith("the Content-Type header is missing");

    HttpResponse<Buffer> broken = post("application/json", "{\"metadata\": {\"name\": warm}}");
    assertThat(broken.statusCode()).isEqualTo(400);
    String error = broken.bodyAsJsonObject().getString("error");
    assertThat(error).isEqualTo("(document): not valid JSON at line 1, column 23");
    assertThat(error).doesNotContain("Unrecognized").doesNotContain("token").doesNotContain("warm");
  }

  @Test
  void invalidUtf8InABodyIsRefusedNamingItsPositionAndNothingIsStored() throws Exception {
    byte[] body = JSON.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    int at = JSON.indexOf("warm");
    body[at] = (byte) 0xFF;
    HttpResponse<Buffer> r = get(client.post(agent.httpPort(), "127.0.0.1", "/api/v1/tasks")
        .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(body)));
    assertThat(r.statusCode()).isEqualTo(400);
    JsonObject err = r.bodyAsJsonObject();
    assertThat(err.getJsonArray("details").getJsonObject(0).getString("field")).isEqualTo("(document)");
    assertThat(err.getString("error")).isEqualTo("(document): not UTF-8 text: invalid byte at offset " + at
        + " (line 1, column " + (at + 1) + ")");
    assertThat(getPath("/api/v1/tasks").bodyAsJsonObject().getJsonArray("items")).isEmpty();
  }

  @Test
  void aPostForATaskAFileDeclaresIsRefusedNamingBothAndTheFileKeepsIt() throws Exception {
    Files.writeString(dir.resolve("warm.yaml"), YAML);
    await().atMost(Duration.ofSeconds(10)).until(() -> getPath("/api/v1/tasks/shop/warm").statusCode() == 200);
    HttpResponse<Buffer> r = post("application/json", JSON);
    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(r.bodyAsJsonObject().getString("error"))
        .isEqualTo("task shop/warm is already declared by file " + dir.resolve("warm.yaml")
            + "; the declaration in a REST post is refused");
    assertThat(getPath("/api/v1/tasks/shop/warm").bodyAsJsonObject().getJsonObject("spec").getString("every"))
        .isEqualTo("30m");
  }

  @Test
  void piToAThousandDigitsIsReadBackWholeAfterARestartWithItsRunHistory() throws Exception {
    String pi = """
        metadata: {name: pi, namespace: math}
        spec: {delay: 0s, target: {compute: {pi: {digits: 1000}}}}
        """;
    assertThat(post("application/yaml", pi).statusCode()).isEqualTo(201);
    await().atMost(Duration.ofSeconds(30)).until(() -> "Succeeded".equals(getPath("/api/v1/tasks/math/pi")
        .bodyAsJsonObject().getJsonObject("status").getString("phase")));
    assertThat(getPath("/api/v1/tasks/math/nothing/runs").statusCode()).isEqualTo(404);
    get(agent.stop());
    agent = get(Agent.start(Config.forTest(tmp.resolve("data"), "--tasks-dir", dir.toString())));
    client = WebClient.create(agent.vertx());

    HttpResponse<Buffer> out = getPath("/api/v1/tasks/math/pi/runs/latest/output");
    assertThat(out.statusCode()).isEqualTo(200);
    assertThat(out.getHeader("Content-Type")).startsWith("text/plain");
    String digits = out.bodyAsString();
    assertThat(digits).hasSize(1002).startsWith("3.14159265358979323846");
    // the 1000th decimal digit of pi is 8 (...216420198 9 at 991-999, then 8)
    assertThat(digits).endsWith("2164201989");
    // status keeps its short excerpt
    String excerpt = getPath("/api/v1/tasks/math/pi").bodyAsJsonObject().getJsonObject("status")
        .getJsonObject("lastRun").getString("result");
    assertThat(excerpt.length()).isLessThan(300);

    JsonObject runs = getPath("/api/v1/tasks/math/pi/runs").bodyAsJsonObject();
    assertThat(runs.getJsonArray("items")).hasSize(1);
    JsonObject run = runs.getJsonArray("items").getJsonObject(0);
    assertThat(run.getString("outcome")).isEqualTo("SUCCEEDED");
    assertThat(run.getLong("bytes")).isEqualTo(1000);
    assertThat(run.getString("node")).isNotBlank();
    assertThat(java.time.Instant.parse(run.getString("finishedAt")))
        .isAfterOrEqualTo(java.time.Instant.parse(run.getString("startedAt")));
    assertThat(java.time.Instant.parse(run.getString("startedAt")))
        .isAfterOrEqualTo(java.time.Instant.parse(run.getString("dueAt")));

    // a task with no run yet has no output
    assertThat(post("application/yaml", pi.replace("name: pi", "name: later").replace("0s", "1h")).statusCode())
        .isEqualTo(201);
    HttpResponse<Buffer> none = getPath("/api/v1/tasks/math/later/runs/latest/output");
    assertThat(none.statusCode()).isEqualTo(404);
    assertThat(none.bodyAsJsonObject().getString("error")).isEqualTo("task math/later has no run output yet");
    assertThat(getPath("/api/v1/tasks/math/later/runs").bodyAsJsonObject().getJsonArray("items")).isEmpty();
  }
}
