package dev.nodepulse.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The REST contract over real HTTP against a started agent: status, content type, body fields, errors. */
class RestContractTest {
  @TempDir static Path tmp;
  static Agent agent;
  static WebClient client;

  /** When the seeded history ends: points every minute from 3 h before it, in the history store the agent opens. */
  static long seededUntil;

  @BeforeAll
  static void start() throws Exception {
    seededUntil = System.currentTimeMillis() - 120_000;
    try (var db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + tmp.resolve("history.db"));
        var st = db.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS points (t INTEGER PRIMARY KEY, cpu REAL, avg1m REAL)");
      for (long t = seededUntil - 3 * 3_600_000; t <= seededUntil; t += 60_000) {
        st.execute("INSERT INTO points VALUES (" + t + ", 42.0, 41.0)");
      }
    }
    agent = Agent.start(Config.forTest(tmp, "--history", "1h")).await();
    client = WebClient.create(agent.vertx());
    await().atMost(Duration.ofSeconds(30)).until(() -> get("/readyz").statusCode() == 200);
  }

  @AfterAll
  static void stop() {
    agent.stop().await();
  }

  static HttpResponse<Buffer> get(String path) {
    return client.get(agent.httpPort(), "127.0.0.1", path).timeout(10_000).send().await();
  }

  static HttpResponse<Buffer> post(String path, String contentType, String body) {
    var req = client.post(agent.httpPort(), "127.0.0.1", path).timeout(10_000);
    if (contentType != null) {
      req.putHeader("content-type", contentType);
    }
    return req.sendBuffer(Buffer.buffer(body)).await();
  }

  static JsonObject json(HttpResponse<Buffer> r, int status) {
    assertThat(r.statusCode()).as("status of %s", r.bodyAsString()).isEqualTo(status);
    assertThat(r.getHeader("content-type")).startsWith("application/json");
    return r.bodyAsJsonObject();
  }

  static void assertError(HttpResponse<Buffer> r, int status, String names) {
    JsonObject body = json(r, status);
    assertThat(body.getString("error")).isNotBlank();
    assertThat(body.containsKey("details")).isTrue();
    if (names != null) {
      assertThat(body.encode()).contains(names);
    }
  }

  @Test
  void host() {
    JsonObject h = json(get("/api/v1/host"), 200);
    assertThat(h.fieldNames()).contains("hostname", "nodeName", "os", "kernel", "arch", "cpuModel", "logicalCpus",
        "physicalCpus", "bootTime", "uptimeSeconds", "version", "mode");
    assertThat(h.getString("mode")).isEqualTo("standalone");
    assertThat(h.getString("version")).isNotBlank();
    assertThat(h.getInteger("logicalCpus")).isPositive();
  }

  @Test
  void cpu() {
    JsonObject c = json(get("/api/v1/cpu"), 200);
    assertThat(c.getDouble("percent")).isBetween(0.0, 100.0);
    assertThat(c.getJsonArray("perCore")).isNotEmpty();
    assertThat(c.getJsonObject("load").fieldNames()).contains("1m", "5m", "15m");
    assertThat(c.fieldNames()).contains("avg1m", "sampledAt");
    assertThat(c.getString("sampledAt")).matches("\\d{4}-\\d\\d-\\d\\dT.*Z");
  }

  @Test
  void cpuTimes() {
    JsonObject t = json(get("/api/v1/cpu/times"), 200);
    assertThat(t.getJsonObject("total").fieldNames())
        .contains("user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal");
    assertThat(t.getJsonArray("perCore")).isNotEmpty();
    assertThat(t.getJsonArray("perCore").getJsonObject(0).fieldNames()).contains("user", "idle", "steal");
  }

  @Test
  void everyServedNodeFieldIsDescribedInTheOpenApiSchema() throws Exception {
    JsonObject schemas = new JsonObject(new com.fasterxml.jackson.dataformat.yaml.YAMLMapper()
        .readValue(get("/openapi.yaml").bodyAsString(), new com.fasterxml.jackson.core.type.TypeReference<java.util.Map<String, Object>>() {})).getJsonObject("components").getJsonObject("schemas");
    java.util.function.BiConsumer<String, JsonObject> described = (schema, served) ->
        assertThat(schemas.getJsonObject(schema).getJsonObject("properties").fieldNames()).as("properties of %s", schema)
            .containsAll(served.fieldNames());
    described.accept("Host", json(get("/api/v1/host"), 200));
    described.accept("Cpu", json(get("/api/v1/cpu"), 200));
    JsonObject times = json(get("/api/v1/cpu/times"), 200);
    described.accept("CpuTimes", times.getJsonObject("total"));
    described.accept("CpuTimes", times.getJsonArray("perCore").getJsonObject(0));
    json(get("/api/v1/partitions"), 200).getJsonArray("partitions").forEach(p -> described.accept("Partition", (JsonObject) p));
    json(get("/api/v1/history?window=1m"), 200).getJsonArray("points").forEach(p -> described.accept("HistoryPoint", (JsonObject) p));
  }

  @Test
  void memory() {
    JsonObject m = json(get("/api/v1/memory"), 200);
    assertThat(m.fieldNames()).contains("totalBytes", "availableBytes", "usedBytes", "swapTotalBytes", "swapUsedBytes");
    assertThat(m.getLong("totalBytes")).isPositive();
  }

  @Test
  void partitions() {
    JsonArray ps = json(get("/api/v1/partitions"), 200).getJsonArray("partitions");
    assertThat(ps).isNotEmpty();
    assertThat(ps.getJsonObject(0).fieldNames())
        .contains("mountPoint", "device", "fsType", "totalBytes", "usedBytes", "freeBytes", "usedPercent");
  }

  @Test
  void processesDefaultAndTop() {
    JsonArray ps = json(get("/api/v1/processes"), 200).getJsonArray("processes");
    assertThat(ps).isNotEmpty().hasSizeLessThanOrEqualTo(10);
    assertThat(ps.getJsonObject(0).fieldNames())
        .contains("pid", "ppid", "name", "user", "cpuPercent", "rssBytes", "startedAt");
    assertThat(json(get("/api/v1/processes?top=2"), 200).getJsonArray("processes")).hasSizeLessThanOrEqualTo(2);
  }

  @Test
  void processesRejectsBadTop() {
    for (String bad : new String[] {"0", "101", "abc", "-1", "1.5", ""}) {
      assertError(get("/api/v1/processes?top=" + bad), 400, "\"field\":\"top\"");
    }
  }

  /** The seeded points (cpu 42) in an answer, by time. */
  static java.util.List<Long> seeded(JsonArray points) {
    return points.stream().map(JsonObject.class::cast).filter(p -> Double.valueOf(42.0).equals(p.getDouble("cpu")))
        .map(p -> p.getLong("t")).toList();
  }

  @Test
  void history() {
    long before = System.currentTimeMillis();
    JsonArray points = json(get("/api/v1/history?window=5m"), 200).getJsonArray("points");
    for (int i = 0; i < points.size(); i++) {
      assertThat(points.getJsonObject(i).fieldNames()).contains("t", "cpu", "avg1m");
    }
    assertThat(points.stream().map(p -> ((JsonObject) p).getLong("t")))
        .as("oldest first, none older than the window").isSorted().allMatch(t -> t >= before - 300_000);
    assertThat(seeded(points)).as("the last seeded points are in the last 5 minutes").isNotEmpty()
        .allMatch(t -> t >= before - 300_000);
    assertThat(json(get("/api/v1/history?window=0s"), 200).getJsonArray("points")).isEmpty();

    // asked for more than --history (1h): cut to the last hour of the 3 h stored
    for (String path : new String[] {"/api/v1/history?window=3h", "/api/v1/history"}) {
      long asked = System.currentTimeMillis();
      List<Long> hour = seeded(json(get(path), 200).getJsonArray("points"));
      assertThat(hour).as("%s: seeded points within --history", path)
          .allMatch(t -> t >= asked - 3_600_000, "not older than 1h")
          .hasSizeBetween(55, 59); // one a minute, from 1 h ago to 2 min ago (less what passes while asking)
      assertThat(hour.getLast()).isEqualTo(seededUntil);
    }
  }

  @Test
  void historyRejectsBadWindow() {
    for (String bad : new String[] {"abc", "5", "-5m", "5 minutes", ""}) {
      assertError(get("/api/v1/history?window=" + java.net.URLEncoder.encode(bad, java.nio.charset.StandardCharsets.UTF_8)), 400, "\"field\":\"window\"");
    }
  }

  @Test
  void sumFromQuery() {
    assertThat(json(get("/api/v1/sum?a=3&b=3"), 200)).isEqualTo(new JsonObject().put("sum", 6));
    assertThat(json(get("/api/v1/sum?a=1.5&b=x&c=2"), 200).getDouble("sum")).isEqualTo(3.5);
    assertThat(json(get("/api/v1/sum"), 200)).isEqualTo(new JsonObject().put("sum", 0));
    assertThat(json(get("/api/v1/sum?a=NaN&b=Infinity&c=-4"), 200)).isEqualTo(new JsonObject().put("sum", -4));
  }

  @Test
  void sumFromJson() {
    assertThat(json(post("/api/v1/sum", "application/json", "{\"a\":3,\"b\":3}"), 200))
        .isEqualTo(new JsonObject().put("sum", 6));
    assertThat(json(post("/api/v1/sum", "application/json; charset=utf-8", "[1, 2.5, \"7\", true, null, {\"x\":1}]"), 200)
        .getDouble("sum")).isEqualTo(3.5);
    assertThat(json(post("/api/v1/sum", "application/json", "{\"a\":\"3\",\"b\":[1]}"), 200))
        .isEqualTo(new JsonObject().put("sum", 0));
  }

  @Test
  void sumRejectsWrongTypeBrokenJsonAndLargeBodies() {
    assertError(post("/api/v1/sum", "text/plain", "a=3"), 415, "content-type");
    assertError(post("/api/v1/sum", null, "{\"a\":3}"), 415, null);
    assertError(post("/api/v1/sum", "application/json", "{\"a\":3,"), 400, null);
    assertError(post("/api/v1/sum", "application/json", ""), 400, null);
    assertError(post("/api/v1/sum", "application/json", "[" + "1,".repeat(140_000) + "1]"), 413, null);
  }

  @Test
  void unknownPathsAndWrongMethods() {
    assertError(get("/api/v1/nope"), 404, "/api/v1/nope");
    assertError(get("/api/v1/tasks/a/b/c"), 404, null);
    HttpResponse<Buffer> wrong = client.request(HttpMethod.DELETE, agent.httpPort(), "127.0.0.1", "/api/v1/host").timeout(10_000).send().await();
    assertError(wrong, 405, null);
    assertThat(wrong.getHeader("allow")).isEqualTo("GET");
    HttpResponse<Buffer> put = client.request(HttpMethod.PUT, agent.httpPort(), "127.0.0.1", "/api/v1/sum").timeout(10_000).send().await();
    assertError(put, 405, null);
    assertThat(put.getHeader("allow")).isEqualTo("GET, POST");
  }

  @Test
  void probesAndMetrics() {
    JsonObject ready = json(get("/readyz"), 200);
    assertThat(ready.getString("status")).isEqualTo("up");
    assertThat(ready.getJsonObject("components").fieldNames()).containsAll(Agent.COMPONENTS);
    JsonObject live = json(get("/healthz"), 200);
    assertThat(live.fieldNames()).contains("version", "uptimeSeconds", "startedAt", "components");
    HttpResponse<Buffer> metrics = get("/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.getHeader("content-type")).startsWith("text/plain; version=0.0.4");
    HttpResponse<Buffer> spec = get("/openapi.yaml");
    assertThat(spec.statusCode()).isEqualTo(200);
    assertThat(spec.getHeader("content-type")).isEqualTo("application/yaml");
  }
}
