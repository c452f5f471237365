package dev.nodepulse.tasks.source;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.tasks.model.TaskReader;
import dev.nodepulse.tasks.source.TaskFiles.FileState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the tasks directory's entries alone (no event loop): tasks, errors, links, limits, what is read again. */
class TaskFilesTest {
  @TempDir Path tmp;
  final TaskFiles reader = new TaskFiles();

  Map<String, FileState> read(Path dir, List<String> names, Map<String, FileState> known, Set<String> forced)
      throws Exception {
    return reader.read(dir, dir.toRealPath(), names, known, forced);
  }

  @Test
  void whichNamesAreTaskFilesAndInWhichFormat() {
    assertThat(List.of("a.yaml", "b.YML", "c.json", "d.Json")).allMatch(TaskFiles::isTaskFile);
    assertThat(List.of(".a.yaml", "a.yaml.swp", "a.txt", "yaml")).noneMatch(TaskFiles::isTaskFile);
    assertThat(TaskFiles.formatOf("c.JSON")).isEqualTo(TaskReader.Format.JSON);
    assertThat(TaskFiles.formatOf("a.yml")).isEqualTo(TaskReader.Format.YAML);
  }

  @Test
  void aFileIsATaskOrAnErrorNamingTheFileAndAMissingOrForeignEntryIsNothing() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("tasks"));
    Files.writeString(dir.resolve("a.yaml"), DirectorySourceTest.task("a", "delay: 1h"));
    Files.writeString(dir.resolve("b.yaml"), "metadata: {name: b}\nspec: {delay: soon}\n");
    Files.write(dir.resolve("big.json"), new byte[(int) TaskFiles.MAX_FILE_BYTES + 1]);
    Files.createDirectories(dir.resolve("sub.yaml"));
    Map<String, FileState> got = read(dir, List.of("a.yaml", "b.yaml", "big.json", "sub.yaml", "gone.yaml"),
        Map.of(), Set.of());
    assertThat(got).containsOnlyKeys("a.yaml", "b.yaml", "big.json");
    assertThat(got.get("a.yaml").task().metadata().name()).isEqualTo("a");
    assertThat(got.get("a.yaml").error()).isNull();
    assertThat(got.get("b.yaml").task()).isNull();
    assertThat(got.get("b.yaml").error()).startsWith("file b.yaml: ").contains("spec.delay");
    assertThat(got.get("big.json").error()).isEqualTo("file big.json: too large (" + (TaskFiles.MAX_FILE_BYTES + 1)
        + " bytes; at most " + TaskFiles.MAX_FILE_BYTES + ")");
    assertThat(reader.parsed.get()).as("a file too large is not read").isEqualTo(2);
    assertThat(reader.examined.get()).isEqualTo(5);
  }

  @Test
  void linksInsideAreReadAndLinksOutDanglingOrLoopingAreErrorsThatReadNothing() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("tasks"));
    Path outside = Files.writeString(tmp.resolve("outside.yaml"), DirectorySourceTest.task("secret", "delay: 1h"));
    Files.writeString(dir.resolve(".real.yaml"), DirectorySourceTest.task("inside", "delay: 1h"));
    Files.createSymbolicLink(dir.resolve("in.yaml"), dir.resolve(".real.yaml"));
    Files.createSymbolicLink(dir.resolve("out.yaml"), outside);
    Files.createSymbolicLink(dir.resolve("dangling.yaml"), dir.resolve("missing.yaml"));
    Files.createSymbolicLink(dir.resolve("loop1.yaml"), dir.resolve("loop2.yaml"));
    Files.createSymbolicLink(dir.resolve("loop2.yaml"), dir.resolve("loop1.yaml"));
    Map<String, FileState> got = read(dir, List.of("in.yaml", "out.yaml", "dangling.yaml", "loop1.yaml"),
        Map.of(), Set.of());
    assertThat(got.get("in.yaml").task().metadata().name()).isEqualTo("inside");
    assertThat(got.get("in.yaml").link()).isTrue();
    assertThat(got.get("out.yaml").error())
        .isEqualTo("file out.yaml: a link that leads out of the tasks directory; it is not read");
    assertThat(got.get("dangling.yaml").error())
        .isEqualTo("file dangling.yaml: a link to a missing file (dangling link); it is not read");
    assertThat(got.get("loop1.yaml").error())
        .isEqualTo("file loop1.yaml: a link that cannot be followed (a link loop?); it is not read");
    assertThat(got.values()).allMatch(FileState::link);
    assertThat(reader.parsed.get()).as("only the link inside is read").isEqualTo(1);
  }

  @Test
  void anUnchangedFileKeepsWhatWasReadUnlessAnEventNamedItOrItWasReadTooSoonAfterItsChange() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("tasks"));
    Path a = Files.writeString(dir.resolve("a.yaml"), DirectorySourceTest.task("a", "delay: 1h"));
    Files.setLastModifiedTime(a, FileTime.fromMillis(System.currentTimeMillis() - 60_000));
    FileState first = read(dir, List.of("a.yaml"), Map.of(), Set.of()).get("a.yaml");
    assertThat(first.racy()).isFalse();
    assertThat(read(dir, List.of("a.yaml"), Map.of("a.yaml", first), Set.of()).get("a.yaml")).isSameAs(first);
    assertThat(reader.parsed.get()).isEqualTo(1);
    assertThat(read(dir, List.of("a.yaml"), Map.of("a.yaml", first), Set.of("a.yaml")).get("a.yaml"))
        .isNotSameAs(first).isEqualTo(first);
    assertThat(reader.parsed.get()).isEqualTo(2);

    Files.writeString(a, DirectorySourceTest.task("a", "delay: 2h")); // modified just now: racy
    FileState fresh = read(dir, List.of("a.yaml"), Map.of("a.yaml", first), Set.of()).get("a.yaml");
    assertThat(fresh.task().spec().timing()).isNotEqualTo(first.task().spec().timing());
    assertThat(fresh.racy()).isTrue();
    assertThat(read(dir, List.of("a.yaml"), Map.of("a.yaml", fresh), Set.of()).get("a.yaml")).isNotSameAs(fresh);
    assertThat(reader.parsed.get()).isEqualTo(4);
  }
}
