package dev.nodepulse.ship;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The dashboard's shape: a templated Prometheus data source on every panel and query, job and node
 * variables and no hard-coded job, and only metric names of the contract (README.md, Metrics) plus the
 * JVM's own. That every query returns data is shown against a real Prometheus in {@link PrometheusIT}.
 */
class DashboardTest {
  /** The metric names of README.md's Metrics section (histograms by their series). */
  static final Set<String> CONTRACT = Set.of("nodepulse_cpu_seconds_total", "nodepulse_cpu_usage_ratio",
      "nodepulse_cpu_usage_avg1m_ratio", "nodepulse_load1", "nodepulse_load5", "nodepulse_load15",
      "nodepulse_memory_total_bytes", "nodepulse_memory_available_bytes", "nodepulse_filesystem_size_bytes",
      "nodepulse_filesystem_free_bytes", "nodepulse_filesystem_avail_bytes", "nodepulse_task_runs_total",
      "nodepulse_task_duration_seconds_bucket", "nodepulse_task_lateness_seconds_bucket", "nodepulse_tasks",
      "nodepulse_http_requests_total", "nodepulse_live_clients");
  private static final Pattern METRIC = Pattern.compile("\\b((?:nodepulse|jvm|process)_[a-z0-9_]+)");

  static JsonNode dashboard() throws Exception {
    return new ObjectMapper().readTree(KubeTools.ROOT.resolve("grafana/nodepulse.json").toFile());
  }

  /** Every panel query of the dashboard, as written (with its template variables). */
  static List<String> queries() throws Exception {
    List<String> out = new ArrayList<>();
    for (JsonNode p : dashboard().path("panels")) {
      p.path("targets").forEach(t -> out.add(t.path("expr").asText()));
    }
    return out;
  }

  @Test
  void everyPanelAndQueryUsesTheTemplatedDataSource() throws Exception {
    JsonNode d = dashboard();
    JsonNode ds = d.path("templating").path("list").get(0);
    assertThat(ds.path("type").asText()).isEqualTo("datasource");
    assertThat(ds.path("query").asText()).isEqualTo("prometheus");
    int panels = 0;
    for (JsonNode p : d.path("panels")) {
      if (p.path("type").asText().equals("row")) {
        continue;
      }
      panels++;
      assertThat(p.path("datasource").path("uid").asText()).as(p.path("title").asText()).isEqualTo("${datasource}");
      assertThat(p.path("targets")).as(p.path("title").asText()).isNotEmpty();
      p.path("targets").forEach(t -> assertThat(t.path("datasource").path("uid").asText()).isEqualTo("${datasource}"));
    }
    assertThat(panels).isGreaterThanOrEqualTo(12);
  }

  @Test
  void jobAndNodeAreVariablesAndNoJobIsHardCoded() throws Exception {
    List<String> vars = new ArrayList<>();
    dashboard().path("templating").path("list").forEach(v -> vars.add(v.path("name").asText()));
    assertThat(vars).containsExactly("datasource", "job", "node", "page");
    for (String q : queries()) {
      assertThat(q).as(q).doesNotContain("job=\"").doesNotContain("job!=");
      Matcher m = METRIC.matcher(q);
      while (m.find()) {
        // every selector is narrowed to the chosen jobs and nodes
        String rest = q.substring(m.end());
        assertThat(rest).as(q).startsWith("{job=~\"$job\", node=~\"$node\"");
      }
    }
  }

  @Test
  void eachNodesCpuLinksToThatNodeOnTheNodepulsePage() throws Exception {
    JsonNode page = null;
    for (JsonNode v : dashboard().path("templating").path("list")) {
      if (v.path("name").asText().equals("page")) {
        page = v;
      }
    }
    assertThat(page.path("type").asText()).isEqualTo("textbox");
    assertThat(page.path("query").asText()).isEqualTo("http://127.0.0.1:8080"); // the NOTES' port-forward
    JsonNode cpu = null;
    for (JsonNode p : dashboard().path("panels")) {
      if (p.path("title").asText().startsWith("CPU per node")) {
        cpu = p;
      }
    }
    JsonNode link = cpu.path("fieldConfig").path("defaults").path("links").get(0);
    assertThat(link.path("url").asText()).isEqualTo("${page}/#node=${__field.labels.node}");
  }

  @Test
  void everyMetricIsAContractNameOrTheJvmsOwn() throws Exception {
    Set<String> used = new java.util.TreeSet<>();
    for (String q : queries()) {
      Matcher m = METRIC.matcher(q);
      while (m.find()) {
        used.add(m.group(1));
      }
    }
    for (String name : used) {
      assertThat(name.startsWith("nodepulse_") ? CONTRACT.contains(name) : true).as(name).isTrue();
    }
    assertThat(used).contains("nodepulse_cpu_usage_ratio", "nodepulse_cpu_usage_avg1m_ratio", "nodepulse_load1",
        "nodepulse_memory_available_bytes", "nodepulse_filesystem_avail_bytes", "nodepulse_task_runs_total",
        "nodepulse_task_duration_seconds_bucket", "nodepulse_task_lateness_seconds_bucket",
        "nodepulse_http_requests_total", "nodepulse_live_clients", "jvm_memory_used_bytes",
        "process_resident_memory_bytes");
  }
}
