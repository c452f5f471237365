package dev.nodepulse.ship;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.sun.net.httpserver.HttpServer;
import dev.nodepulse.AgentOutput;
import dev.nodepulse.testing.Tools;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus scrapes the packaged agent while it runs tasks (pi, HTTP that succeeds and fails, a
 * missed one-shot), with the shipped alert rules loaded. Every dashboard query (template variables
 * substituted as Grafana would, from the variables' own queries) returns data, every alert rule is
 * evaluated by Prometheus without error, and every series an alert selects exists.
 */
class PrometheusIT {
    private static final Pattern SELECTOR = Pattern.compile("\\b([a-z_:][a-z0-9_:]*)\\{([^}]*)\\}");
  private static final String NODE = "node-a";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir static Path tmp;
  static Process agent;
  static LocalPrometheus prometheus;
  static HttpServer target;
  static final StringBuilder agentOut = new StringBuilder();

  @BeforeAll
  static void start() throws Exception {
    Path prom = Tools.prometheus();
    // a peer for the HTTP tasks: /ok answers 200, /broken 500
    target = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    target.createContext("/ok", ex -> {
      ex.sendResponseHeaders(200, 2);
      ex.getResponseBody().write("ok".getBytes(StandardCharsets.UTF_8));
      ex.close();
    });
    target.createContext("/broken", ex -> {
      ex.sendResponseHeaders(500, -1);
      ex.close();
    });
    target.start();
    String peer = "http://127.0.0.1:" + target.getAddress().getPort();

    Path tasks = Files.createDirectories(tmp.resolve("tasks"));
    task(tasks, "pi", "every: 1s\n  target: {compute: {pi: {digits: 200}}}");
    task(tasks, "fine", "every: 1s\n  target: {http: {url: \"" + peer + "/ok\", timeout: 5s}}");
    task(tasks, "broken", "every: 2s\n  target: {http: {url: \"" + peer + "/broken\", timeout: 5s}}");
    task(tasks, "too-late", "at: \"2020-01-01T00:00:00Z\"\n  startingDeadline: 1s\n  target: {compute: {pi: {digits: 10}}}");

    agent = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", System.getProperty("nodepulse.jar", "target/nodepulse.jar"),
        "--http-port", "0", "--data-dir", tmp.resolve("data").toString(), "--tasks-dir", tasks.toString(),
        "--node-name", NODE).redirectErrorStream(true).start();
    int agentPort = AgentOutput.awaitPort(agent, agentOut, 60);

    String config = """
        global: {scrape_interval: 1s, evaluation_interval: 1s}
        rule_files: ["%s"]
        scrape_configs:
          - job_name: nodepulse
            static_configs:
              - targets: ["127.0.0.1:%d"]
                labels: {node: "%s"}
        """.formatted(KubeTools.ROOT.resolve("grafana/alerts.yaml"), agentPort, NODE);
    prometheus = LocalPrometheus.start(prom, tmp, config);
  }

  @AfterAll
  static void stop() throws Exception {
    if (prometheus != null) {
      prometheus.close();
    }
    if (agent != null) {
      LocalPrometheus.stop(agent);
    }
    if (target != null) {
      target.stop(0);
    }
  }

  @Test
  void everyDashboardQueryReturnsData() throws Exception {
    JsonNode dashboard = JSON.readTree(KubeTools.ROOT.resolve("grafana/nodepulse.json").toFile());
    Map<String, String> vars = new LinkedHashMap<>();
    vars.put("$__rate_interval", "30s");
    // the variables from their own queries, in order (node's query uses $job)
    for (JsonNode v : dashboard.path("templating").path("list")) {
      if (!v.path("type").asText().equals("query")) {
        continue;
      }
      String q = substitute(v.path("query").path("query").asText(), vars);
      Matcher m = Pattern.compile("label_values\\((.+), (\\w+)\\)").matcher(q);
      assertThat(m.matches()).as(q).isTrue();
      List<String> values = new ArrayList<>();
      Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
        values.clear();
        JsonNode data = JSON.readTree(prometheus.get("/api/v1/label/" + m.group(2) + "/values?match[]=" + enc(m.group(1))).body())
            .path("data");
        data.forEach(d -> values.add(d.asText()));
        assertThat(values).as(q).isNotEmpty();
      });
      vars.put("$" + v.path("name").asText(), String.join("|", values));
    }
    assertThat(vars).containsEntry("$job", "nodepulse").containsEntry("$node", NODE);

    List<String> queries = new ArrayList<>();
    for (JsonNode p : dashboard.path("panels")) {
      p.path("targets").forEach(t -> queries.add(substitute(t.path("expr").asText(), vars)));
    }
    assertThat(queries).hasSizeGreaterThanOrEqualTo(20);
    Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
      List<String> empty = new ArrayList<>();
      for (String q : queries) {
        if (query(q).isEmpty()) {
          empty.add(q);
        }
      }
      assertThat(empty).as("queries without data; agent output:\n%s", agentOut).isEmpty();
    });
  }

  @Test
  void everyAlertRuleIsEvaluatedAndEverySeriesItSelectsExists() throws Exception {
    JsonNode rules = new YAMLMapper().readTree(KubeTools.ROOT.resolve("grafana/alerts.yaml").toFile());
    List<String> selectors = new ArrayList<>();
    for (JsonNode r : rules.path("groups").get(0).path("rules")) {
      Matcher m = SELECTOR.matcher(r.path("expr").asText());
      while (m.find()) {
        selectors.add(m.group(0));
      }
    }
    assertThat(selectors).hasSizeGreaterThanOrEqualTo(6);
    Awaitility.await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
      List<String> empty = new ArrayList<>();
      for (String s : selectors) {
        if (query(s).isEmpty()) {
          empty.add(s);
        }
      }
      assertThat(empty).as("selectors without series; agent output:\n%s", agentOut).isEmpty();
    });
    // Prometheus itself evaluates the loaded rules: all seven, healthy
    Awaitility.await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
      JsonNode loaded = JSON.readTree(prometheus.get("/api/v1/rules").body()).path("data").path("groups").get(0).path("rules");
      assertThat(loaded).hasSize(7);
      for (JsonNode r : loaded) {
        assertThat(r.path("health").asText()).as(r.path("name").asText() + " " + r.path("lastError")).isEqualTo("ok");
      }
    });
    // and with the agent scraped, it is neither down nor missing
    JsonNode firing = JSON.readTree(prometheus.get("/api/v1/alerts").body()).path("data").path("alerts");
    firing.forEach(a -> assertThat(a.path("labels").path("alertname").asText())
        .isNotIn("NodepulseAgentDown", "NodepulseAgentNotScraped"));
  }

  // ------------------------------------------------------------------ helpers

  private static void task(Path dir, String name, String spec) throws IOException {
    Files.writeString(dir.resolve(name + ".yaml"), """
        apiVersion: nodepulse.dev/v1alpha1
        kind: DelayedTask
        metadata: {name: %s, namespace: default}
        spec:
          %s
        """.formatted(name, spec));
  }

  private static String substitute(String q, Map<String, String> vars) {
    String out = q;
    for (Map.Entry<String, String> v : vars.entrySet()) {
      out = out.replace(v.getKey(), v.getValue());
    }
    return out;
  }

  private static JsonNode query(String promql) throws Exception {
    HttpResponse<String> r = prometheus.get("/api/v1/query?query=" + enc(promql) + "&time=" + Instant.now().getEpochSecond());
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.path("status").asText()).as(promql + ": " + r.body()).isEqualTo("success");
    return body.path("data").path("result");
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

}
