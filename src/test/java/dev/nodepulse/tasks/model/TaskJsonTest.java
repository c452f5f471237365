package dev.nodepulse.tasks.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The JSON of the task records, byte for byte: the REST answers, the page's {@code nodepulse.tasks.changed}, the
 * stored object and the spec's hash (a changed hash makes every stored task look edited). The files under
 * tasks/json were written by the hand-written mapping this one replaced; they are the contract.
 */
class TaskJsonTest {
  static final Path GOLDEN = Path.of("src/test/resources/tasks/json");

  static final TaskStatus.LastRun RUN = new TaskStatus.LastRun(Instant.parse("2026-11-23T17:30:00Z"),
      Instant.parse("2026-11-23T17:30:01.250Z"), 1250, "node-a", RunResult.Outcome.SUCCEEDED, 200, 42,
      "{\"ok\":true} é €", null);
  static final TaskStatus.LastRun FAILED = new TaskStatus.LastRun(Instant.parse("2026-11-23T17:31:00Z"), null, 0,
      null, RunResult.Outcome.TIMEOUT, null, 0, null, "no answer within 5s");
  static final TaskStatus.LastMissed MISSED = new TaskStatus.LastMissed(Instant.parse("2026-11-23T10:00:00Z"),
      Instant.parse("2026-11-23T12:00:00Z"), 3, "AgentDown");

  /** Every status field given. */
  static final TaskStatus FULL = new TaskStatus(TaskStatus.Phase.Running, Instant.parse("2026-11-24T01:30:00Z"), 7,
      9, "node-a", 3, List.of(new TaskStatus.Condition("Ready", "True", "Valid", "ok",
      Instant.parse("2026-11-23T09:00:00Z")), new TaskStatus.Condition("Suspended", "False", null, null, null)),
      RUN, new Progress(40, "3.14159"), List.of(new TaskStatus.NodeStatus("node-a", TaskStatus.Phase.Succeeded, RUN),
      new TaskStatus.NodeStatus("node-b", TaskStatus.Phase.Failed, FAILED),
      new TaskStatus.NodeStatus("node-c", TaskStatus.Phase.Pending, null)),
      List.of(Instant.parse("2026-11-24T01:30:00Z"), Instant.parse("2026-11-25T01:30:00Z")), 3, MISSED, 2,
      new TaskStatus.LastMissed(Instant.parse("2026-11-23T13:00:00Z"), Instant.parse("2026-11-23T13:00:00Z"), 1,
          "Overlap"));

  /** Every spec field away from its default. */
  static final String ALL_FIELDS = """
      apiVersion: nodepulse.dev/v1alpha1
      kind: DelayedTask
      metadata: {name: all-fields, namespace: ops, generation: 4, uid: 5f0c-11, resourceVersion: "812",
        labels: {zeta: z, alpha: a}}
      spec:
        title: "Every field: é €"
        schedule: "*/5 * * * *"
        timeZone: America/New_York
        target:
          http:
            url: https://api.shop/warm?x=1
            method: patch
            headers: {X-B: "2", X-A: "1", Authorization: {valueFrom: {secretKeyRef: {name: tok, key: t}}}}
            body: ""
            timeout: 59m30s
            insecureSkipTlsVerify: true
            maxRedirects: 3
        nodes: all
        nodeSelector: {zone: b, kubernetes.io/os: linux}
        retry: {limit: 3}
        startingDeadline: 90s
        jitter: 500ms
        missedRuns: Skip
        suspend: true
        concurrencyPolicy: Replace
        history: 5
      """;

  static final String ONE_SHOT = """
      metadata: {name: one-shot}
      spec:
        at: 2026-11-23T19:30:00+01:00
        target: {pipe: {name: reload}}
        ttlAfterFinished: 0s
        concurrencyPolicy: Allow
      """;

  static Stream<String> cases() {
    return Stream.of("warm-cache", "ping-tcp", "reload-pipe", "pi-cron", "every-second", "task", "all-fields",
        "one-shot", "full-status", "no-spec");
  }

  static DelayedTask task(String name) throws Exception {
    return switch (name) {
      case "all-fields" -> TaskReader.read(ALL_FIELDS, TaskReader.Format.YAML);
      case "one-shot" -> TaskReader.read(ONE_SHOT, TaskReader.Format.YAML);
      case "full-status" -> TaskReaderTest.read("good/pi-cron.yaml").withStatus(FULL);
      case "no-spec" -> new DelayedTask(new TaskMetadata("broken", "default", 1, null, null, java.util.Map.of()), null,
          new TaskStatus(TaskStatus.Phase.Failed, null, 0, 0, null, 1, List.of(new TaskStatus.Condition("Ready",
              "False", "Invalid", "spec.delay: 'x' is not a duration", Instant.parse("2026-11-23T09:00:00Z"))), null,
              null, List.of(), List.of(), 0, null, 0, null));
      case "reload-pipe" -> TaskReaderTest.read("good/reload-pipe.yml");
      case "task" -> TaskReaderTest.read("good/task.json");
      default -> TaskReaderTest.read("good/" + name + ".yaml");
    };
  }

  /** The case's file: the task, the object without status, and the spec's hash, one per line. */
  static String render(DelayedTask t) {
    return TaskJson.toJson(t).encode() + "\n" + TaskJson.toObjectJson(t).encode() + "\n"
        + (t.spec() == null ? "-" : TaskJson.specHash(t.spec())) + "\n";
  }

  @ParameterizedTest
  @MethodSource("cases")
  void writesTheSameJsonAsBefore(String name) throws Exception {
    String expected = Files.readString(GOLDEN.resolve(name + ".json"), StandardCharsets.UTF_8);
    assertThat(render(task(name))).isEqualTo(expected);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void readsBackWhatItWrites(String name) throws Exception {
    DelayedTask t = task(name);
    if (t.spec() != null) {
      DelayedTask back = TaskReader.read(TaskJson.toJson(t).encode(), TaskReader.Format.JSON);
      assertThat(back.spec()).isEqualTo(t.spec());
      assertThat(back.metadata()).isEqualTo(t.metadata());
    }
  }

  @org.junit.jupiter.api.Test
  void runsAndMissedBurstsAreStoredAndReadBack() throws Exception {
    String expected = Files.readString(GOLDEN.resolve("stored.json"), StandardCharsets.UTF_8);
    assertThat(TaskJson.lastRunJson(RUN).encode() + "\n" + TaskJson.lastRunJson(FAILED).encode() + "\n"
        + TaskJson.lastMissedJson(MISSED).encode() + "\n").isEqualTo(expected);
    for (TaskStatus.LastRun r : List.of(RUN, FAILED)) {
      assertThat(TaskJson.lastRunFrom(new JsonObject(TaskJson.lastRunJson(r).encode()))).isEqualTo(r);
    }
    assertThat(TaskJson.lastMissedFrom(new JsonObject(TaskJson.lastMissedJson(MISSED).encode()))).isEqualTo(MISSED);
    assertThat(TaskJson.lastRunFrom(null)).isNull();
    assertThat(TaskJson.lastMissedFrom(null)).isNull();
  }
}
