package dev.nodepulse.ship;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.nodepulse.testing.Tools;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The alerts with the real promtool: the plain rule file and the chart's PrometheusRule (every option on)
 * pass {@code promtool check rules}; grafana/alerts_test.yaml unit-tests every alert; each alert has a
 * summary and a runbook line.
 */
class AlertRulesTest {
  private static final List<String> ALERTS = List.of("NodepulseNodeCpuHigh", "NodepulseTasksFailing",
      "NodepulseTaskRunsLate", "NodepulseTaskNotSucceeding", "NodepulseTaskRunsSkippedOrMissed", "NodepulseAgentDown",
      "NodepulseAgentNotScraped");

  @TempDir Path tmp;

  @Test
  void thePlainRuleFileChecksAndItsUnitTestsPass() throws Exception {
    assertThat(promtool("check", "rules", "grafana/alerts.yaml").ok()).contains("SUCCESS: 7 rules found");
    assertThat(promtool("test", "rules", "grafana/alerts_test.yaml").ok()).contains("SUCCESS");
  }

  @Test
  void everyAlertIsUnitTestedFiringAndQuiet() throws Exception {
    JsonNode tests = new YAMLMapper().readTree(KubeTools.ROOT.resolve("grafana/alerts_test.yaml").toFile());
    for (String alert : ALERTS) {
      boolean fires = false;
      boolean quiet = false;
      for (JsonNode t : tests.path("tests")) {
        for (JsonNode a : t.path("alert_rule_test")) {
          if (a.path("alertname").asText().equals(alert)) {
            fires |= !a.path("exp_alerts").isEmpty();
            quiet |= a.path("exp_alerts").isEmpty();
          }
        }
      }
      assertThat(fires).as(alert + " has a case where it fires").isTrue();
      assertThat(quiet).as(alert + " has a case where it stays quiet").isTrue();
    }
  }

  @Test
  void theChartsPrometheusRuleChecksWithEveryOptionOnAndEachAlertExplainsItself() throws Exception {
    String rule = KubeTools.helm(tmp.resolve("home"), "template", "nodepulse", KubeTools.CHART.toString(),
        "-f", KubeTools.ALL_OPTIONS.toString(), "--show-only", "templates/prometheusrule.yaml").ok();
    JsonNode spec = new YAMLMapper().readTree(rule).path("spec");
    Path file = tmp.resolve("rules.yaml");
    new YAMLMapper().writeValue(file.toFile(), spec);
    assertThat(promtool("check", "rules", file.toString()).ok()).contains("SUCCESS: 7 rules found");
    List<String> names = new ArrayList<>();
    for (JsonNode r : spec.path("groups").get(0).path("rules")) {
      names.add(r.path("alert").asText());
      assertThat(r.path("annotations").path("summary").asText()).as(r.path("alert").asText()).isNotBlank();
      assertThat(r.path("annotations").path("runbook").asText()).as(r.path("alert").asText()).isNotBlank();
      assertThat(r.path("expr").asText()).contains("job=\"nodepulse\"");
    }
    assertThat(names).containsExactlyElementsOf(ALERTS);
  }

  private static KubeTools.Result promtool(String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(Tools.promtool().toString()));
    cmd.addAll(List.of(args));
    return KubeTools.run(null, cmd);
  }
}
