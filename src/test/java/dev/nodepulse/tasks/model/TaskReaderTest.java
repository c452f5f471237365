package dev.nodepulse.tasks.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class TaskReaderTest {
  static final Path DIR = Path.of("src/test/resources/tasks");

  static DelayedTask read(String rel) throws Exception {
    Path p = DIR.resolve(rel);
    return TaskReader.read(Files.readAllBytes(p), p.toString().endsWith(".json") ? TaskReader.Format.JSON
        : TaskReader.Format.YAML);
  }

  @Test
  void readsEveryFieldOfTheDesignExample() throws Exception {
    DelayedTask t = read("good/warm-cache.yaml");
    assertThat(t.key()).isEqualTo("shop/warm-cache");
    assertThat(t.metadata().labels()).containsEntry("team", "web");
    TaskSpec s = t.spec();
    assertThat(s.title()).isEqualTo("Warm the product cache");
    assertThat(s.timing()).isEqualTo(new Schedule.Delay(Duration.ofSeconds(30)));
    Target.Http h = (Target.Http) s.target();
    assertThat(h.url()).isEqualTo("http://api.shop:8080/warm");
    assertThat(h.method()).isEqualTo("POST");
    assertThat(h.timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(h.body()).isEqualTo("{\"all\":true}");
    assertThat(h.headers()).containsEntry("X-Run", new Target.Plain("1"))
        .containsEntry("Authorization", new Target.SecretKeyRef("shop-token", "token"))
        .containsEntry("X-Env", new Target.EnvRef("SHOP_TOKEN"));
    assertThat(s.nodes()).isEqualTo(TaskSpec.Nodes.ONE);
    assertThat(s.nodeSelector()).containsEntry("kubernetes.io/os", "linux");
    assertThat(s.retry()).isEqualTo(new TaskSpec.Retry(2, Duration.ofSeconds(2)));
    assertThat(s.startingDeadline()).isEqualTo(Duration.ofMinutes(5));
  }

  @Test
  void readsOtherTargetsAndTimings() throws Exception {
    DelayedTask tcp = read("good/ping-tcp.yaml");
    assertThat(tcp.metadata().namespace()).isEqualTo("default");
    assertThat(tcp.spec().timing()).isEqualTo(new Schedule.At(Instant.parse("2026-11-23T17:30:00Z")));
    assertThat(tcp.spec().target()).isEqualTo(new Target.Tcp("10.0.0.5:5000", "PING\n", true, Duration.ofSeconds(2)));

    DelayedTask pipe = read("good/reload-pipe.yml");
    assertThat(pipe.spec().timing()).isEqualTo(new Schedule.Every(Duration.ofMinutes(90)));
    assertThat(pipe.spec().nodes()).isEqualTo(TaskSpec.Nodes.ALL);
    assertThat(((Target.Pipe) pipe.spec().target()).name()).isEqualTo("reload-nginx");

    DelayedTask pi = read("good/pi-cron.yaml");
    Schedule.Cron c = (Schedule.Cron) pi.spec().timing();
    assertThat(c.zone()).isEqualTo(ZoneId.of("Europe/Paris"));
    // 02:30 Paris on a weekday: Monday 2026-11-23 is past at 12:00 UTC, so Tuesday 01:30 UTC (winter, UTC+1)
    assertThat(c.next(Instant.parse("2026-11-23T12:00:00Z"))).contains(Instant.parse("2026-11-24T01:30:00Z"));
    assertThat(pi.spec().target()).isEqualTo(new Target.Compute(5000));

    Schedule.Cron sec = (Schedule.Cron) read("good/every-second.yaml").spec().timing();
    assertThat(sec.next(Instant.parse("2026-11-23T12:00:00Z"))).contains(Instant.parse("2026-11-23T12:00:01Z"));
  }

  @Test
  void jsonIsReadAndPostedStatusIgnored() throws Exception {
    DelayedTask t = read("good/task.json");
    assertThat(t.key()).isEqualTo("default/json-task");
    assertThat(t.status().phase()).isEqualTo(TaskStatus.Phase.Pending);
    assertThat(t.status().runs()).isZero();
  }

  @Test
  void writesBackWhatItReads() throws Exception {
    for (String f : new String[] {"good/warm-cache.yaml", "good/ping-tcp.yaml", "good/reload-pipe.yml",
        "good/pi-cron.yaml", "good/every-second.yaml", "good/task.json"}) {
      DelayedTask t = read(f);
      var json = TaskJson.toJson(t);
      DelayedTask back = TaskReader.read(json.encode(), TaskReader.Format.JSON);
      assertThat(back.spec()).as(f).isEqualTo(t.spec());
      assertThat(back.metadata()).as(f).isEqualTo(t.metadata());
      assertThat(TaskJson.specHash(back.spec())).isEqualTo(TaskJson.specHash(t.spec()));
    }
    var json = TaskJson.toJson(read("good/warm-cache.yaml"));
    assertThat(json.getJsonObject("spec").getString("delay")).isEqualTo("30s");
    assertThat(json.getJsonObject("spec").getString("startingDeadline")).isEqualTo("5m");
    assertThat(json.getJsonObject("spec").getJsonObject("target").getJsonObject("http")
        .getJsonObject("headers").getJsonObject("Authorization").getJsonObject("valueFrom")
        .getJsonObject("secretKeyRef").getString("name")).isEqualTo("shop-token");
    assertThat(json.getJsonObject("status").getString("phase")).isEqualTo("Pending");
  }

  static Stream<Arguments> badFiles() {
    return Stream.of(
        Arguments.of("syntax.yaml", "(document)", "line"),
        Arguments.of("wrong-type.yaml", "spec.target.tcp.readReply", "true or false"),
        Arguments.of("two-timings.yaml", "spec", "exactly one of delay, at, every, schedule is required (found delay and every)"),
        Arguments.of("no-timing.yaml", "spec", "(found none)"),
        Arguments.of("no-target.yaml", "spec.target", "required"),
        Arguments.of("two-targets.yaml", "spec.target", "found pipe and compute"),
        Arguments.of("unknown-field.yaml", "spec.target.http.methd", "unknown field; known: url, method"),
        Arguments.of("huge-digits.yaml", "spec.target.compute.pi.digits", "out of range"),
        Arguments.of("huge-retry.yaml", "spec.retry.limit", "0 to 10"),
        Arguments.of("huge-delay.yaml", "spec.delay", "out of range"),
        Arguments.of("bad-cron.yaml", "spec.schedule", "not a valid 5-field cron"),
        Arguments.of("cron-fields.yaml", "spec.schedule", "has 3 fields"),
        Arguments.of("bad-zone.yaml", "spec.timeZone", "is not an IANA time zone name"),
        Arguments.of("bad-duration.yaml", "spec.target.http.timeout", "'5x' is not a duration such as 500ms"),
        Arguments.of("bad-url.yaml", "spec.target.http.url", "must be an http or https URL"),
        Arguments.of("bad-name.yaml", "metadata.name", "DNS-1123"),
        Arguments.of("null-name.yaml", "metadata.name", "required"),
        Arguments.of("bad-at.yaml", "spec.at", "RFC 3339"),
        Arguments.of("bad-api.yaml", "apiVersion", "nodepulse.dev/v1alpha1"),
        Arguments.of("bad-method.yaml", "spec.target.http.method", "GET, POST"),
        Arguments.of("every-too-short.yaml", "spec.every", "1s to 365d"),
        Arguments.of("pipe-escape.yaml", "spec.target.pipe.name", "pipe directory"),
        Arguments.of("bad-address.yaml", "spec.target.tcp.address", "host:port"),
        Arguments.of("header-ref.yaml", "spec.target.http.headers.X-A.valueFrom.configMapKeyRef", "unknown field"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badFiles")
  void eachBadFileNamesTheField(String file, String field, String says) {
    assertThatThrownBy(() -> read("bad/" + file))
        .isInstanceOfSatisfying(TaskValidationException.class, e -> {
          assertThat(e.errors()).anySatisfy(err -> {
            assertThat(err.field()).isEqualTo(field);
            assertThat(err.message()).contains(says);
          });
          assertThat(e.getMessage()).contains(field + ": ");
        });
  }

  @Test
  void everyBadFileIsCovered() throws IOException {
    try (var files = Files.list(DIR.resolve("bad"))) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrderElementsOf(badFiles().map(a -> (String) a.get()[0]).toList());
    }
  }

  static Stream<Arguments> wrongShapes() {
    String http = "  delay: 1s\n  target: {http: {url: \"http://127.0.0.1/\", %s}}\n";
    String pi = "  delay: 1s\n  target: {compute: {pi: {digits: %s}}}\n";
    return Stream.of(
        Arguments.of("  title: 5\n" + pi.formatted("1"), "spec.title", "must be a string, not a number (5)"),
        Arguments.of(http.formatted("headers: {X-Run: 1}"), "spec.target.http.headers.X-Run",
            "must be a string or {valueFrom: {secretKeyRef: {name, key}}} or {valueFrom: {env: NAME}}, not a number (1)"),
        Arguments.of("  nodeSelector: {gpu: true}\n" + pi.formatted("1"), "spec.nodeSelector.gpu",
            "must be a string, not a boolean (true)"),
        Arguments.of("  retry: {limit: \"2\"}\n" + pi.formatted("1"), "spec.retry.limit",
            "must be a whole number, not a string ('2')"),
        Arguments.of("  retry: 2\n" + pi.formatted("1"), "spec.retry",
            "must be an object (a map of fields), not a number (2)"),
        Arguments.of(pi.formatted("1.5"), "spec.target.compute.pi.digits", "must be a whole number, not a number (1.5)"),
        Arguments.of(pi.formatted("99999999999999999999999"), "spec.target.compute.pi.digits",
            "99999999999999999999999 is out of range; expected a whole number from 1 to 1000000"),
        Arguments.of(http.formatted("insecureSkipTlsVerify: \"true\""), "spec.target.http.insecureSkipTlsVerify",
            "must be true or false, not a string ('true')"),
        Arguments.of(http.formatted("headers: {A: {valueFrom: {secretKeyRef: {name: a, key: b, namespace: c}}}}"),
            "spec.target.http.headers.A.valueFrom.secretKeyRef.namespace", "unknown field; known: name, key"),
        Arguments.of(pi.formatted("1") + "  nodeselector: {a: b}\n", "spec.nodeselector",
            "unknown field; known: title, delay, at, every, schedule, timeZone, target, nodes, nodeSelector, retry, "
                + "startingDeadline, jitter, missedRuns, suspend, concurrencyPolicy, history, ttlAfterFinished"),
        Arguments.of(pi.formatted("1") + "  suspend: \"yes\"\n", "spec.suspend",
            "must be true or false, not a string ('yes')"));
  }

  @Test
  void missedRunsIsRunLatestByDefaultSkipWhenSaidAndAnythingElseIsRefusedNamingIt() throws Exception {
    String pi = "metadata: {name: p}\nspec:\n  every: 1m\n  target: {compute: {pi: {digits: 10}}}\n";
    assertThat(TaskReader.read(pi, TaskReader.Format.YAML).spec().missedRuns()).isEqualTo(TaskSpec.MissedRuns.RunLatest);
    assertThat(TaskReader.read(pi + "  missedRuns: Skip\n", TaskReader.Format.YAML).spec().missedRuns())
        .isEqualTo(TaskSpec.MissedRuns.Skip);
    assertThatThrownBy(() -> TaskReader.read(pi + "  missedRuns: skip\n", TaskReader.Format.YAML))
        .isInstanceOf(TaskValidationException.class)
        .hasMessageContaining("spec.missedRuns").hasMessageContaining("'skip' is not accepted; expected RunLatest or Skip");
  }

  @Test
  void concurrencyPolicyIsForbidByDefaultAndRefusedWhenUnknown() throws Exception {
    String pi = "metadata: {name: s}\nspec: {every: 1m, target: {compute: {pi: {digits: 5}}}%s}";
    assertThat(TaskReader.read(pi.formatted(""), TaskReader.Format.YAML).spec().concurrencyPolicy())
        .isEqualTo(dev.nodepulse.tasks.model.TaskSpec.ConcurrencyPolicy.Forbid);
    DelayedTask allow = TaskReader.read(pi.formatted(", concurrencyPolicy: Allow"), TaskReader.Format.YAML);
    assertThat(allow.spec().concurrencyPolicy()).isEqualTo(dev.nodepulse.tasks.model.TaskSpec.ConcurrencyPolicy.Allow);
    assertThat(TaskJson.specJson(allow.spec()).getString("concurrencyPolicy")).isEqualTo("Allow");
    assertThatThrownBy(() -> TaskReader.read(pi.formatted(", concurrencyPolicy: allow"), TaskReader.Format.YAML))
        .isInstanceOfSatisfying(TaskValidationException.class, e -> assertThat(e.errors()).singleElement()
            .isEqualTo(new FieldError("spec.concurrencyPolicy",
                "'allow' is not accepted; expected Forbid, Allow or Replace")));
  }

  @Test
  void historyIsTwentyByDefaultAndBounded() throws Exception {
    String pi = "metadata: {name: s}\nspec: {every: 1m, target: {compute: {pi: {digits: 5}}}%s}";
    assertThat(TaskReader.read(pi.formatted(""), TaskReader.Format.YAML).spec().history()).isEqualTo(20);
    assertThat(TaskReader.read(pi.formatted(", history: 3"), TaskReader.Format.YAML).spec().history()).isEqualTo(3);
    for (String bad : new String[] {"0", "101"}) {
      assertThatThrownBy(() -> TaskReader.read(pi.formatted(", history: " + bad), TaskReader.Format.YAML))
          .isInstanceOfSatisfying(TaskValidationException.class, e -> assertThat(e.errors()).singleElement()
              .extracting(FieldError::field).isEqualTo("spec.history"));
    }
  }

  /** Jackson binds the document strictly: a wrong type or an unknown field is refused where it is, by its path. */
  @ParameterizedTest(name = "{1}")
  @MethodSource("wrongShapes")
  void aWrongTypeOrAnUnknownFieldIsNamedByItsPath(String spec, String field, String says) {
    assertThatThrownBy(() -> TaskReader.read("metadata: {name: s}\nspec:\n" + spec, TaskReader.Format.YAML))
        .isInstanceOfSatisfying(TaskValidationException.class, e -> assertThat(e.errors()).singleElement()
            .isEqualTo(new FieldError(field, says)));
  }

  @Test
  void anUnknownTopLevelFieldListsTheKnownOnes() {
    assertThatThrownBy(() -> TaskReader.read("{\"metadata\": {\"name\": \"s\"}, \"specs\": {}}",
        TaskReader.Format.JSON)).hasMessage("specs: unknown field; known: apiVersion, kind, metadata, spec, status");
  }

  /** The specs CrdIT applies and the API server refuses by the CRD's schema: the reader refuses each at the same field. */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      two timings        | delay: 5s\\nevery: 1m\\ntarget: {compute: {pi: {digits: 5}}}        | spec
      no timing          | target: {compute: {pi: {digits: 5}}}                                | spec
      two targets        | delay: 5s\\ntarget: {compute: {pi: {digits: 5}}, pipe: {name: p}}  | spec.target
      empty target       | delay: 5s\\ntarget: {}                                              | spec.target
      no target          | delay: 5s                                                           | spec.target
      digits too small   | delay: 5s\\ntarget: {compute: {pi: {digits: 0}}}                   | spec.target.compute.pi.digits
      digits too large   | delay: 5s\\ntarget: {compute: {pi: {digits: 1000001}}}             | spec.target.compute.pi.digits
      delay beyond 365d  | delay: 366d\\ntarget: {compute: {pi: {digits: 5}}}                 | spec.delay
      every below 1s     | every: 500ms\\ntarget: {compute: {pi: {digits: 5}}}                | spec.every
      jitter beyond 1h   | every: 2h\\njitter: 61m\\ntarget: {compute: {pi: {digits: 5}}}   | spec.jitter
      jitter not below every | every: 30s\\njitter: 30s\\ntarget: {compute: {pi: {digits: 5}}} | spec.jitter
      duration words     | delay: 5 minutes\\ntarget: {compute: {pi: {digits: 5}}}            | spec.delay
      timeout too short  | delay: 5s\\ntarget: {tcp: {address: 'a:1', timeout: 5ms}}          | spec.target.tcp.timeout
      port out of range  | delay: 5s\\ntarget: {tcp: {address: 'a:70000'}}                    | spec.target.tcp.address
      pipe leaves dir    | delay: 5s\\ntarget: {pipe: {name: ..x}}                            | spec.target.pipe.name
      bad method         | delay: 5s\\ntarget: {http: {url: 'http://a/', method: BREW}}       | spec.target.http.method
      not a url          | delay: 5s\\ntarget: {http: {url: 'ftp://a/'}}                      | spec.target.http.url
      zone without cron  | every: 5s\\ntimeZone: UTC\\ntarget: {compute: {pi: {digits: 5}}}  | spec.timeZone
      cron prefix        | schedule: CRON_TZ=UTC 0 * * * *\\ntarget: {compute: {pi: {digits: 5}}} | spec.schedule
      cron fields        | schedule: '* * *'\\ntarget: {compute: {pi: {digits: 5}}}           | spec.schedule
      at without offset  | at: '2026-11-23T18:30:00'\\ntarget: {compute: {pi: {digits: 5}}}  | spec.at
      nodes word         | delay: 5s\\nnodes: some\\ntarget: {compute: {pi: {digits: 5}}}     | spec.nodes
      retry limit        | delay: 5s\\nretry: {limit: 11}\\ntarget: {compute: {pi: {digits: 5}}} | spec.retry.limit
      unknown field      | delay: 5s\\nfoo: 1\\ntarget: {compute: {pi: {digits: 5}}}          | spec.foo
      """)
  void whatTheCrdRefusesTheReaderRefusesAtTheSameField(String name, String spec, String field) {
    String doc = "metadata: {name: t}\nspec:\n  " + spec.replace("\\n", "\n  ") + "\n";
    assertThatThrownBy(() -> TaskReader.read(doc, TaskReader.Format.YAML))
        .isInstanceOfSatisfying(TaskValidationException.class,
            e -> assertThat(e.errors()).extracting(FieldError::field).contains(field));
  }

  @Test
  void everyWrongValueIsReportedAtOnce() {
    String y = "metadata: {name: Bad_Name}\nspec:\n  every: 500ms\n  nodes: some\n"
        + "  target: {tcp: {address: \"::1:5000\", timeout: 2h}}\n";
    assertThatThrownBy(() -> TaskReader.read(y, TaskReader.Format.YAML))
        .isInstanceOfSatisfying(TaskValidationException.class, e -> assertThat(e.errors()).extracting(FieldError::field)
            .containsExactly("metadata.name", "spec.every", "spec.target.tcp.address", "spec.target.tcp.timeout",
                "spec.nodes"));
  }

  @Test
  void bodyOverSixtyFourKibIsRejected() {
    String body = "x".repeat(65 * 1024);
    String json = "{\"metadata\":{\"name\":\"big\"},\"spec\":{\"delay\":\"1s\",\"target\":{\"http\":"
        + "{\"url\":\"http://127.0.0.1/\",\"body\":\"" + body + "\"}}}}";
    assertThatThrownBy(() -> TaskReader.read(json, TaskReader.Format.JSON))
        .hasMessageContaining("spec.target.http.body: too large");
  }

  @Test
  void tooManyHeadersAndDuplicateKeysAreRejected() {
    StringBuilder h = new StringBuilder();
    for (int i = 0; i < 40; i++) {
      h.append(i == 0 ? "" : ",").append("\"X-").append(i).append("\":\"v\"");
    }
    String json = "{\"metadata\":{\"name\":\"h\"},\"spec\":{\"delay\":\"1s\",\"target\":{\"http\":"
        + "{\"url\":\"http://127.0.0.1/\",\"headers\":{" + h + "}}}}}";
    assertThatThrownBy(() -> TaskReader.read(json, TaskReader.Format.JSON))
        .hasMessageContaining("spec.target.http.headers: 40 headers");
    assertThatThrownBy(() -> TaskReader.read("metadata: {name: a}\nmetadata: {name: b}\n", TaskReader.Format.YAML))
        .hasMessageContaining("Duplicate field");
  }

  @Test
  void sixFieldCronIsSecondsFirstAndFiveFieldIsUnix() throws Exception {
    String y = "metadata: {name: c}\nspec:\n  schedule: \"%s\"\n  target: {compute: {pi: {digits: 10}}}\n";
    Schedule.Cron five = (Schedule.Cron) TaskReader.read(y.formatted("15 * * * *"), TaskReader.Format.YAML).spec().timing();
    assertThat(five.next(Instant.parse("2026-11-23T12:00:00Z"))).contains(Instant.parse("2026-11-23T12:15:00Z"));
    Schedule.Cron six = (Schedule.Cron) TaskReader.read(y.formatted("15 * * * * *"), TaskReader.Format.YAML).spec().timing();
    assertThat(six.next(Instant.parse("2026-11-23T12:00:00Z"))).contains(Instant.parse("2026-11-23T12:00:15Z"));
    assertThatThrownBy(() -> TaskReader.read(y.formatted("99 * * * * *"), TaskReader.Format.YAML))
        .hasMessageContaining("spec.schedule: '99 * * * * *' is not a valid 6-field cron");
    assertThatThrownBy(() -> TaskReader.read(y.formatted("CRON_TZ=UTC 0 * * * *"), TaskReader.Format.YAML))
        .hasMessageContaining("spec.timeZone");
  }

  static final String AT = "metadata: {name: a}\nspec:\n  at: \"%s\"\n  target: {compute: {pi: {digits: 10}}}\n";

  @Test
  void atIsAnRfc3339TimeWithAFourDigitYear() throws Exception {
    // a year past 9999 is not RFC 3339, and one this far away overflows the timer's milliseconds
    assertThatThrownBy(() -> TaskReader.read(AT.formatted("+300000000-01-01T00:00:00Z"), TaskReader.Format.YAML))
        .hasMessageContaining("spec.at: ").hasMessageContaining("RFC 3339");
    assertThatThrownBy(() -> TaskReader.read(AT.formatted("-0001-01-01T00:00:00Z"), TaskReader.Format.YAML))
        .hasMessageContaining("spec.at: ");
    assertThat(TaskReader.read(AT.formatted("9999-12-31T23:59:59Z"), TaskReader.Format.YAML).spec().timing())
        .isEqualTo(new Schedule.At(Instant.parse("9999-12-31T23:59:59Z")));
  }

  @Test
  void headerValuesWithControlCharactersAreRejected() throws Exception {
    String json = "{\"metadata\":{\"name\":\"h\"},\"spec\":{\"delay\":\"1s\",\"target\":{\"http\":"
        + "{\"url\":\"http://127.0.0.1/\",\"headers\":{\"X-A\":\"%s\"}}}}}";
    for (String bad : new String[] {"a\\u0000b", "a\\u007fb", "a\\u001bb", "a\\rb"}) {
      assertThatThrownBy(() -> TaskReader.read(json.formatted(bad), TaskReader.Format.JSON))
          .as(bad).hasMessageContaining("spec.target.http.headers.X-A: ");
    }
    Target.Http ok = (Target.Http) TaskReader.read(json.formatted("a\\tb \u00e9"), TaskReader.Format.JSON).spec().target();
    assertThat(ok.headers()).containsEntry("X-A", new Target.Plain("a\tb \u00e9"));
  }

  @Test
  void yamlAliasBombsAreNotExpandedAndDeepNestingIsRejected() {
    StringBuilder bomb = new StringBuilder("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
    for (char c = 'b'; c <= 'j'; c++) {
      char p = (char) (c - 1);
      bomb.append(c).append(": &").append(c).append(" [*").append(p).append(", *").append(p).append(", *").append(p)
          .append(", *").append(p).append(", *").append(p).append(", *").append(p).append(", *").append(p)
          .append(", *").append(p).append(", *").append(p).append(", *").append(p).append("]\n");
    }
    // Jackson reads an alias as its anchor's name (no expansion): the bomb is just a document with unknown fields
    assertThatThrownBy(() -> TaskReader.read(bomb.toString(), TaskReader.Format.YAML))
        .isInstanceOfSatisfying(TaskValidationException.class,
            e -> assertThat(e.errors().get(0).message()).contains("unknown field"));
    String deepYaml = "[".repeat(5000) + "]".repeat(5000);
    assertThatThrownBy(() -> TaskReader.read(deepYaml, TaskReader.Format.YAML))
        .isInstanceOf(TaskValidationException.class);
    String deepJson = "{\"a\":".repeat(5000) + "1" + "}".repeat(5000);
    assertThatThrownBy(() -> TaskReader.read(deepJson, TaskReader.Format.JSON))
        .isInstanceOf(TaskValidationException.class);
  }

  @Test
  void aCronThatNeverFiresIsRejected() {
    String y = "metadata: {name: c}\nspec:\n  schedule: \"%s\"\n  target: {compute: {pi: {digits: 10}}}\n";
    assertThatThrownBy(() -> TaskReader.read(y.formatted("0 0 30 2 *"), TaskReader.Format.YAML))
        .hasMessageContaining("spec.schedule: ");
    assertThatThrownBy(() -> TaskReader.read(y.formatted("0 0 0 31 4 *"), TaskReader.Format.YAML))
        .hasMessageContaining("spec.schedule: ");
  }

  @Test
  void framingHeadersAreRejected() {
    // a Content-Length that disagrees with the body leaves its rest on a pooled connection, read as a next request
    String json = "{\"metadata\":{\"name\":\"h\"},\"spec\":{\"delay\":\"1s\",\"target\":{\"http\":"
        + "{\"url\":\"http://127.0.0.1/\",\"body\":\"abcdef\",\"headers\":{\"%s\":\"%s\"}}}}}";
    assertThatThrownBy(() -> TaskReader.read(json.formatted("Content-Length", "1"), TaskReader.Format.JSON))
        .hasMessageContaining("spec.target.http.headers.Content-Length: ");
    assertThatThrownBy(() -> TaskReader.read(json.formatted("transfer-encoding", "chunked"), TaskReader.Format.JSON))
        .hasMessageContaining("spec.target.http.headers.transfer-encoding: ");
  }

  @Test
  void theHeadersTheAgentSetsAreRefusedNamingTheField() {
    String json = "{\"metadata\":{\"name\":\"h\"},\"spec\":{\"delay\":\"1s\",\"target\":{\"http\":"
        + "{\"url\":\"http://127.0.0.1/\",\"headers\":{\"%s\":\"mine\"}}}}}";
    assertThatThrownBy(() -> TaskReader.read(json.formatted("Idempotency-Key"), TaskReader.Format.JSON))
        .hasMessageContaining("spec.target.http.headers.Idempotency-Key: is not accepted: it is set by the agent");
    assertThatThrownBy(() -> TaskReader.read(json.formatted("user-agent"), TaskReader.Format.JSON))
        .hasMessageContaining("spec.target.http.headers.user-agent: is not accepted: it is set by the agent");
  }

  @Test
  void sixFieldCronAcceptsTheSpringSpecialCharactersTheDocsList() throws Exception {
    String y = "metadata: {name: c}\nspec:\n  schedule: \"%s\"\n  target: {compute: {pi: {digits: 10}}}\n";
    Instant from = Instant.parse("2026-11-23T12:00:00Z"); // a Monday
    Map<String, String> next = Map.of(
        "0 0 0 L * ?", "2026-11-30T00:00:00Z",     // last day of the month
        "0 0 0 15W * ?", "2026-12-15T00:00:00Z",   // the weekday nearest the 15th
        "0 0 0 ? * MON#2", "2026-12-14T00:00:00Z", // the second Monday
        "0 0 0 ? * 6L", "2026-11-28T00:00:00Z");   // the last Saturday
    for (var e : next.entrySet()) {
      Schedule.Cron c = (Schedule.Cron) TaskReader.read(y.formatted(e.getKey()), TaskReader.Format.YAML).spec().timing();
      assertThat(c.next(from)).as(e.getKey()).contains(Instant.parse(e.getValue()));
    }
  }

  // ------------------------------------------------------------------ the tcp address: one rule, here only

  static final String TCP = "metadata: {name: t}\nspec:\n  delay: 1s\n  target: {tcp: {address: \"%s\"}}\n";

  @Test
  void tcpAddressesAreHostPortOrBracketedIpv6AndTheTargetGetsThemSplit() throws Exception {
    Target.Tcp v6 = (Target.Tcp) TaskReader.read(TCP.formatted("[::1]:5000"), TaskReader.Format.YAML).spec().target();
    assertThat(v6.host()).isEqualTo("::1");
    assertThat(v6.port()).isEqualTo(5000);
    Target.Tcp v4 = (Target.Tcp) TaskReader.read(TCP.formatted("10.0.0.5:5000"), TaskReader.Format.YAML).spec()
        .target();
    assertThat(v4.host()).isEqualTo("10.0.0.5");
    assertThat(v4.port()).isEqualTo(5000);
    Target.Tcp name = (Target.Tcp) TaskReader.read(TCP.formatted("api.shop:80"), TaskReader.Format.YAML).spec()
        .target();
    assertThat(name.host()).isEqualTo("api.shop");
    // before: the reader accepted "::1:5000" and the tcp target refused it at every run
    assertThatThrownBy(() -> TaskReader.read(TCP.formatted("::1:5000"), TaskReader.Format.YAML))
        .hasMessageContaining("spec.target.tcp.address: '::1:5000' is ambiguous")
        .hasMessageContaining("[::1]:5000");
    for (String bad : new String[] {"[::1]5000", "[::1]:70000", "[zz::1]:80", "host:0", "host", ":80", "a b:80",
        "[]:80", "x/y:80"}) {
      assertThatThrownBy(() -> TaskReader.read(TCP.formatted(bad), TaskReader.Format.YAML)).as(bad)
          .isInstanceOf(TaskValidationException.class).hasMessageContaining("spec.target.tcp.address: ");
    }
  }

  // ------------------------------------------------------------------ errors say where, never what

  @Test
  void aBrokenDocumentIsReportedByPositionWithoutParserInternalsOrItsContent() {
    assertThatThrownBy(() -> TaskReader.read("{\"metadata\": {\"name\": secret-token}}", TaskReader.Format.JSON))
        .isInstanceOfSatisfying(TaskValidationException.class, e -> {
          assertThat(e.errors()).singleElement().satisfies(err -> {
            assertThat(err.field()).isEqualTo("(document)");
            assertThat(err.message()).isEqualTo("not valid JSON at line 1, column 23");
          });
          assertThat(e.getMessage()).doesNotContain("secret").doesNotContain("token").doesNotContain("Unrecognized")
              .doesNotContain("code ").doesNotContain("Source");
        });
    assertThatThrownBy(() -> TaskReader.read("{\"metadata\": {", TaskReader.Format.JSON))
        .hasMessageContaining("(document): not valid JSON at line 1").hasMessageContaining("ends too early");
    // a line of /etc/shadow read as YAML: only the position comes back
    assertThatThrownBy(() -> TaskReader.read("root:$6$salt$hash:19000:0:99999:7:::\nx: [", TaskReader.Format.YAML))
        .isInstanceOfSatisfying(TaskValidationException.class, e -> assertThat(e.getMessage())
            .doesNotContain("root").doesNotContain("salt").doesNotContain("hash"));
  }

  @Test
  void bytesThatAreNotUtf8AreRefusedWithTheirPositionNotReplaced() throws Exception {
    byte[] ok = "metadata: {name: u}\nspec: {delay: 1s, target: {pipe: {name: p, data: \"é\"}}}\n"
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    assertThat(((Target.Pipe) TaskReader.read(ok, TaskReader.Format.YAML).spec().target()).data()).isEqualTo("é");
    byte[] bad = ok.clone();
    int at = new String(ok, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("data: \"") + 7;
    bad[at] = (byte) 0xC3;
    bad[at + 1] = (byte) 0x28; // 0xC3 must be followed by a continuation byte
    assertThatThrownBy(() -> TaskReader.read(bad, TaskReader.Format.YAML))
        .isInstanceOfSatisfying(TaskValidationException.class, e -> assertThat(e.errors()).singleElement()
            .satisfies(err -> {
              assertThat(err.field()).isEqualTo("(document)");
              assertThat(err.message()).isEqualTo("not UTF-8 text: invalid byte at offset " + at + " (line 2, column "
                  + (at - new String(ok, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf('\n')) + ")");
            }));
    byte[] binary = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0, (byte) 0x90, (byte) 0xff};
    assertThatThrownBy(() -> TaskReader.read(binary, TaskReader.Format.YAML))
        .hasMessageContaining("not UTF-8 text");
  }
}
