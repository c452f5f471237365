package dev.nodepulse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The agent's packages import each other without a cycle (docs/architecture.md), and the leaves ({@code bus},
 * {@code util}, {@code config}) import no other package of the agent. Read from the sources: their import lines and
 * the names written out in full in their code (a constant taken as {@code dev.nodepulse.web.WebVerticle.REQUEST} is a
 * dependency as much as an import), comments left out.
 */
class PackagesTest {
  static final Path SOURCES = Path.of("src/main/java");
  static final Pattern PACKAGE = Pattern.compile("^package ([\\w.]+);", Pattern.MULTILINE);
  static final Pattern IMPORT = Pattern.compile("^import (?:static )?(dev\\.nodepulse\\.[\\w.]+);", Pattern.MULTILINE);
  /** A class of the agent named in full in code: {@code dev.nodepulse.<packages>.<Class>}. */
  static final Pattern FULL_NAME = Pattern.compile("(?<![\\w.])(dev\\.nodepulse(?:\\.[a-z]\\w*)+\\.[A-Z]\\w*)");
  static final Pattern COMMENT = Pattern.compile("/\\*.*?\\*/|//[^\\n]*", Pattern.DOTALL);

  /** package → the agent's packages it imports, with the importing files. */
  static Map<String, Map<String, Set<String>>> imports() throws IOException {
    Map<String, Map<String, Set<String>>> graph = new TreeMap<>();
    try (Stream<Path> files = Files.walk(SOURCES)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        String text = Files.readString(f);
        Matcher pm = PACKAGE.matcher(text);
        if (!pm.find()) {
          continue;
        }
        String from = pm.group(1);
        graph.computeIfAbsent(from, k -> new TreeMap<>());
        List<String> named = new ArrayList<>();
        Matcher im = IMPORT.matcher(text);
        while (im.find()) {
          named.add(im.group(1));
        }
        Matcher fm = FULL_NAME.matcher(COMMENT.matcher(text.substring(text.indexOf(';', pm.end() - 1) + 1))
            .replaceAll(""));
        while (fm.find()) {
          named.add(fm.group(1));
        }
        for (String name : named) {
          String to = packageOf(name);
          if (!to.equals(from)) {
            graph.get(from).computeIfAbsent(to, k -> new TreeSet<>()).add(f.getFileName().toString());
          }
        }
      }
    }
    return graph;
  }

  /** The package part of an imported name: the segments before the first that starts with a capital. */
  static String packageOf(String name) {
    List<String> parts = new ArrayList<>();
    for (String s : name.split("\\.")) {
      if (Character.isUpperCase(s.charAt(0))) {
        break;
      }
      parts.add(s);
    }
    return String.join(".", parts);
  }

  /** A path of imports from {@code start} back to it, or null. */
  static List<String> cycleThrough(String start, Map<String, Map<String, Set<String>>> graph) {
    List<String> path = new ArrayList<>(List.of(start));
    return walk(start, start, graph, path, new HashSet<>()) ? path : null;
  }

  static boolean walk(String at, String start, Map<String, Map<String, Set<String>>> graph, List<String> path,
      Set<String> seen) {
    for (String next : graph.getOrDefault(at, Map.of()).keySet()) {
      if (next.equals(start)) {
        path.add(next);
        return true;
      }
      if (seen.add(next)) {
        path.add(next);
        if (walk(next, start, graph, path, seen)) {
          return true;
        }
        path.remove(path.size() - 1);
      }
    }
    return false;
  }

  @Test
  void thePackagesImportEachOtherWithoutACycle() throws IOException {
    var graph = imports();
    assertThat(graph).containsKeys("dev.nodepulse.web", "dev.nodepulse.tasks.target", "dev.nodepulse.kube");
    for (String p : graph.keySet()) {
      assertThat(cycleThrough(p, graph)).as("imports that lead from %s back to it (%s)", p, graph.get(p)).isNull();
    }
  }

  @Test
  void theLeavesImportNoOtherPackageOfTheAgent() throws IOException {
    var graph = imports();
    assertThat(graph.get("dev.nodepulse.bus")).isEmpty();
    assertThat(graph.get("dev.nodepulse.util")).isEmpty();
    assertThat(graph.get("dev.nodepulse.config")).isEmpty();
  }

  @Test
  void aNameWrittenInFullIsADependencyAndOneInACommentIsNot() {
    String code = "/** see {@link dev.nodepulse.web.Api} */\nclass X { String a = dev.nodepulse.web.WebVerticle.HEALTH; "
        + "// dev.nodepulse.kube.KubeVerticle\n java.util.List<dev.nodepulse.bus.Sample> s; }";
    List<String> found = new ArrayList<>();
    Matcher m = FULL_NAME.matcher(COMMENT.matcher(code).replaceAll(""));
    while (m.find()) {
      found.add(packageOf(m.group(1)));
    }
    assertThat(found).containsExactly("dev.nodepulse.web", "dev.nodepulse.bus");
  }

  @Test
  void aCycleIsFound() {
    Map<String, Map<String, Set<String>>> graph = Map.of("a", Map.of("b", Set.of("A.java")),
        "b", Map.of("c", Set.of("B.java")), "c", Map.of("a", Set.of("C.java")));
    assertThat(cycleThrough("a", graph)).containsExactly("a", "b", "c", "a");
    assertThat(cycleThrough("a", Map.of("a", Map.of("b", Set.of("A.java"))))).isNull();
  }
}
