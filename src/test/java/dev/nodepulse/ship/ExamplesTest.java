package dev.nodepulse.ship;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.TaskReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * k8s/examples: a DelayedTask for every target type and a tasks ConfigMap, each accepted by the agent's
 * own task reader (the API server's check of them, against the CRD, is in {@link HelmInstallIT}).
 */
class ExamplesTest {
  private static final Path EXAMPLES = KubeTools.ROOT.resolve("k8s/examples");

  @Test
  void everyTargetTypeHasAValidDelayedTask() throws Exception {
    TreeSet<String> types = new TreeSet<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(EXAMPLES)) {
      files = s.filter(p -> p.getFileName().toString().startsWith("delayedtask-")).sorted().toList();
    }
    for (Path f : files) {
      DelayedTask t = TaskReader.read(Files.readString(f), TaskReader.Format.YAML);
      assertThat(f.getFileName().toString()).isEqualTo("delayedtask-" + t.spec().target().type() + ".yaml");
      types.add(t.spec().target().type());
    }
    assertThat(types).containsExactly("compute", "http", "pipe", "tcp");
  }

  @Test
  void theTasksConfigMapIsLabelledAndEachEntryIsAValidSpec() throws Exception {
    JsonNode cm = new YAMLMapper().readTree(EXAMPLES.resolve("tasks-configmap.yaml").toFile());
    assertThat(cm.path("kind").asText()).isEqualTo("ConfigMap");
    assertThat(cm.path("metadata").path("labels").path("nodepulse.dev/tasks").asText()).isEqualTo("true");
    List<String> names = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = cm.path("data").fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      String name = cm.path("metadata").path("name").asText() + "." + e.getKey();
      String doc = "apiVersion: nodepulse.dev/v1alpha1\nkind: DelayedTask\nmetadata: {name: " + name
          + ", namespace: default}\nspec:\n" + e.getValue().asText().indent(2);
      names.add(TaskReader.read(doc, TaskReader.Format.YAML).metadata().name());
    }
    assertThat(names).containsExactly("shop-tasks.nightly-report", "shop-tasks.pi");
  }
}
