package dev.nodepulse.tasks.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.tasks.model.TaskReader;
import dev.nodepulse.tasks.run.Jitter;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** POST /api/v1/tasks?dryRun=All and status.nextRuns on a whole agent started in-process. */
class DryRunRestTest {
  @TempDir Path tmp;
  /** The agent of the REST source's tests, as the harness: started in-process with a tasks directory. */
  final TaskRestTest agent = new TaskRestTest();
  Path dir;

  @BeforeEach
  void start() throws Exception {
    agent.tmp = tmp;
    agent.start();
    dir = agent.dir;
  }

  @AfterEach
  void stop() throws Exception {
    agent.stop();
  }

  HttpResponse<Buffer> post(String query, String yaml) throws Exception {
    return agent.post(query, "application/yaml", yaml);
  }

  HttpResponse<Buffer> getPath(String path) throws Exception {
    return agent.getPath(path);
  }

  static final String EVERY = """
      metadata: {name: warm, namespace: shop}
      spec:
        every: 30m
        target: {compute: {pi: {digits: 20}}}
      """;

  static List<Instant> nextRuns(JsonObject task) {
    JsonArray a = task.getJsonObject("status").getJsonArray("nextRuns");
    return a == null ? List.of() : a.stream().map(o -> Instant.parse((String) o)).toList();
  }

  @Test
  void aDryRunPreviewsTheTaskAndStoresNothing() throws Exception {
    Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    HttpResponse<Buffer> dry = post("?dryRun=All", EVERY);
    Instant after = Instant.now();
    assertThat(dry.statusCode()).as(dry.bodyAsString()).isEqualTo(200);
    JsonObject task = dry.bodyAsJsonObject();
    assertThat(task.getString("kind")).isEqualTo("DelayedTask");
    assertThat(task.getJsonObject("spec").getString("every")).isEqualTo("30m");
    assertThat(task.getJsonObject("status").getString("phase")).isEqualTo("Scheduled");
    List<Instant> next = nextRuns(task);
    assertThat(next).hasSize(5);
    // as if declared now: the first due time one interval after the request, then every 30 minutes
    assertThat(next.getFirst()).isBetween(before.plus(Duration.ofMinutes(30)), after.plus(Duration.ofMinutes(30)));
    for (int i = 1; i < 5; i++) {
      assertThat(Duration.between(next.get(i - 1), next.get(i))).isEqualTo(Duration.ofMinutes(30));
    }
    assertThat(task.getJsonObject("status").getString("nextRunAt")).isEqualTo(next.getFirst().toString());

    // nothing stored: no task, none in the list, and a real POST afterwards creates it (201, not 200)
    assertThat(getPath("/api/v1/tasks/shop/warm").statusCode()).isEqualTo(404);
    assertThat(getPath("/api/v1/tasks").bodyAsJsonObject().getJsonArray("items")).isEmpty();
    assertThat(post("", EVERY).statusCode()).isEqualTo(201);
  }

  @Test
  void anInvalidDryRunIsRefusedAsARealPostAndStoresNothing() throws Exception {
    String bad = EVERY.replace("every: 30m", "every: 30x");
    HttpResponse<Buffer> dry = post("?dryRun=All", bad);
    assertThat(dry.statusCode()).isEqualTo(400);
    assertThat(dry.bodyAsJsonObject().encode()).contains("spec.every").contains("30x");
    assertThat(getPath("/api/v1/tasks/shop/warm").statusCode()).isEqualTo(404);
    HttpResponse<Buffer> real = post("", bad);
    assertThat(real.statusCode()).isEqualTo(400);
    assertThat(dry.bodyAsJsonObject()).isEqualTo(real.bodyAsJsonObject());

    String badJitter = EVERY.replace("every: 30m", "every: 30m\n  jitter: 2h");
    HttpResponse<Buffer> jitter = post("?dryRun=All", badJitter);
    assertThat(jitter.statusCode()).isEqualTo(400);
    assertThat(jitter.bodyAsJsonObject()).isEqualTo(post("", badJitter).bodyAsJsonObject());
    assertThat(jitter.bodyAsString()).contains("spec.jitter").contains("2h");
    assertThat(getPath("/api/v1/tasks/shop/warm").statusCode()).isEqualTo(404);
  }

  @Test
  void aDryRunValueOtherThanAllIsA400NamingItAndStoresNothing() throws Exception {
    for (String q : List.of("?dryRun=all", "?dryRun=true", "?dryRun=", "?dryRun=All&dryRun=None")) {
      HttpResponse<Buffer> r = post(q, EVERY);
      assertThat(r.statusCode()).as(q).isEqualTo(400);
      JsonObject body = r.bodyAsJsonObject();
      assertThat(body.getString("error")).as(q).startsWith("dryRun must be All");
      assertThat(body.getJsonObject("details").getString("field")).isEqualTo("dryRun");
      String value = q.substring(q.lastIndexOf('=') + 1);
      assertThat(body.getJsonObject("details").getString("value")).isEqualTo(value);
      assertThat(body.getString("error")).contains("'" + value + "'");
    }
    assertThat(getPath("/api/v1/tasks/shop/warm").statusCode()).isEqualTo(404);
  }

  @Test
  void aDryRunOfANameAnotherSourceHoldsIsRefusedAsARealPost() throws Exception {
    Files.writeString(dir.resolve("warm.yaml"), EVERY);
    await().atMost(Duration.ofSeconds(30)).until(() -> getPath("/api/v1/tasks/shop/warm").statusCode() == 200);
    HttpResponse<Buffer> dry = post("?dryRun=All", EVERY.replace("30m", "5m"));
    assertThat(dry.statusCode()).isEqualTo(409);
    assertThat(dry.bodyAsJsonObject()).isEqualTo(post("", EVERY.replace("30m", "5m")).bodyAsJsonObject());
    // the file's task is untouched
    assertThat(getPath("/api/v1/tasks/shop/warm").bodyAsJsonObject().getJsonObject("spec").getString("every"))
        .isEqualTo("30m");
  }

  @Test
  void aStoredTaskShowsItsNextFiveDueTimesWithItsJitter() throws Exception {
    String jittered = EVERY.replace("every: 30m", "every: 1m\n  jitter: 30s");
    Duration j = Jitter.of(TaskReader.read(jittered, TaskReader.Format.YAML).spec(), "shop/warm", "any node");
    Instant before = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    assertThat(post("", jittered).statusCode()).isEqualTo(201);
    Instant after = Instant.now();
    for (JsonObject task : List.of(getPath("/api/v1/tasks/shop/warm").bodyAsJsonObject(),
        getPath("/api/v1/tasks").bodyAsJsonObject().getJsonArray("items").getJsonObject(0))) {
      List<Instant> next = nextRuns(task);
      assertThat(next).hasSize(5);
      // one interval after it was posted, moved by the task's jitter
      assertThat(next.getFirst().minus(j)).isBetween(before.plusSeconds(60), after.plusSeconds(60));
      for (int i = 1; i < 5; i++) {
        assertThat(Duration.between(next.get(i - 1), next.get(i))).isEqualTo(Duration.ofMinutes(1));
      }
      assertThat(task.getJsonObject("status").getString("nextRunAt")).isEqualTo(next.getFirst().toString());
    }
    // a dry run of the same spec is the task as it is: the same due times
    assertThat(nextRuns(post("?dryRun=All", jittered).bodyAsJsonObject()))
        .isEqualTo(nextRuns(getPath("/api/v1/tasks/shop/warm").bodyAsJsonObject()));
  }

  @Test
  void aJitteredTaskRunsAtItsJitteredDueTime() throws Exception {
    String jittered = EVERY.replace("every: 30m", "every: 1s\n  jitter: 900ms");
    Duration j = Jitter.of(TaskReader.read(jittered, TaskReader.Format.YAML).spec(), "shop/warm", "any node");
    HttpResponse<Buffer> created = post("", jittered); // its answer shows the plan, whenever the first run comes
    assertThat(created.statusCode()).isEqualTo(201);
    Instant planned = nextRuns(created.bodyAsJsonObject()).getFirst();
    await().atMost(Duration.ofSeconds(60)).until(() ->
        !getPath("/api/v1/tasks/shop/warm/runs").bodyAsJsonObject().getJsonArray("items").isEmpty());
    JsonArray runs = getPath("/api/v1/tasks/shop/warm/runs").bodyAsJsonObject().getJsonArray("items");
    JsonObject first = runs.getJsonObject(runs.size() - 1);
    // the run's due time is the jittered one the preview showed, and it did not start before it
    assertThat(Instant.parse(first.getString("dueAt"))).isEqualTo(planned);
    assertThat(Instant.parse(first.getString("startedAt"))).isAfterOrEqualTo(planned);
    assertThat(Duration.between(planned.minus(j), nextRuns(getPath("/api/v1/tasks/shop/warm").bodyAsJsonObject())
        .getFirst().minus(j)).toMillis() % 1000).isZero();
  }
}
