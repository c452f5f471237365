package dev.nodepulse.tasks.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The latest run's output files alone: one per task, replaced whole, cut beyond the bound saying so. */
class RunOutputsTest {
  @TempDir Path tmp;

  @Test
  void eachTaskKeepsOnlyItsLatestOutputAndNoneWhenItsLatestRunHadNone() throws Exception {
    Path dir = tmp.resolve("task-output"); // made at the first write
    RunOutputs outputs = new RunOutputs(dir);
    assertThat(outputs.read("ns/a")).isNull();
    outputs.write("ns/a", "first");
    outputs.write("ns/b", "bé");
    outputs.write("ns/a", "second");
    assertThat(outputs.read("ns/a")).isEqualTo("second");
    assertThat(outputs.read("ns/b")).isEqualTo("bé");
    assertThat(outputs.file("ns/a")).isNotEqualTo(outputs.file("ns/b")).hasParent(dir);
    try (var files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).as("no temporary file is left behind")
          .allMatch(n -> n.endsWith(".txt")).hasSize(2);
    }
    outputs.write("ns/a", null);
    assertThat(outputs.read("ns/a")).isNull();
    assertThat(outputs.file("ns/a")).doesNotExist();
    outputs.delete("ns/b");
    outputs.delete("ns/b"); // gone already: nothing to do
    assertThat(outputs.read("ns/b")).isNull();
  }

  @Test
  void anOutputBeyondTheBoundKeepsItsFirstBytesAndSaysItWasCut() throws Exception {
    RunOutputs outputs = new RunOutputs(tmp);
    String exact = "x".repeat(RunOutputs.MAX_OUTPUT);
    outputs.write("ns/a", exact);
    assertThat(outputs.read("ns/a")).isEqualTo(exact);
    String big = "é".repeat(RunOutputs.MAX_OUTPUT / 2 + 3); // two bytes each: 6 bytes over
    outputs.write("ns/a", big);
    byte[] kept = Files.readAllBytes(outputs.file("ns/a"));
    String note = "\n[output cut: its first " + RunOutputs.MAX_OUTPUT + " of " + (RunOutputs.MAX_OUTPUT + 6)
        + " bytes are kept]\n";
    assertThat(kept).hasSize(RunOutputs.MAX_OUTPUT + note.length());
    assertThat(new String(kept, RunOutputs.MAX_OUTPUT, note.length(), StandardCharsets.UTF_8)).isEqualTo(note);
    assertThat(new String(kept, 0, RunOutputs.MAX_OUTPUT, StandardCharsets.UTF_8)).isEqualTo(
        "é".repeat(RunOutputs.MAX_OUTPUT / 2));
  }
}
