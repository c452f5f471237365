package dev.nodepulse.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PressureTest {
  @Test
  void readsTheNodesPressureFromAFixture() throws IOException {
    Map<String, Pressure> p = Pressure.node(UsageFixtures.resource("proc/psi"));
    assertThat(p).containsOnlyKeys("cpu", "memory", "io");
    assertThat(p.get("cpu").some()).isEqualTo(new Pressure.Stall(1.5, 2.25, 3.0, 12_345_678));
    assertThat(p.get("memory").full()).isEqualTo(new Pressure.Stall(0.05, 0.10, 0.15, 1_500_000));
    assertThat(p.get("io").toJson().getJsonObject("some").getDouble("totalSeconds")).isEqualTo(30.0);
    assertThat(p.get("io").toJson().getJsonObject("full").getDouble("avg300")).isEqualTo(5.0);
  }

  @Test
  void readsThisMachinesRealPressure() throws IOException {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/pressure/cpu")), "this kernel has PSI");
    Map<String, Pressure> p = Pressure.node(Path.of("/proc"));
    assertThat(p).containsKeys("cpu", "memory", "io");
    assertThat(p.get("cpu").some().avg10()).isBetween(0.0, 100.0);
    assertThat(p.get("cpu").some().totalMicros()).isNotNegative();
    assertThat(p.get("io").full()).isNotNull();
  }

  @Test
  void noPressureDirectoryIsAnEmptyAnswer() throws IOException {
    assertThat(Pressure.node(UsageFixtures.resource("proc/known/t1"))).isEmpty();
  }

  @Test
  void aBrokenFileIsAnErrorNamingTheFileAndField(@TempDir Path proc) throws IOException {
    Files.createDirectories(proc.resolve("pressure"));
    Files.writeString(proc.resolve("pressure/cpu"), "some avg10=x avg60=0.00 avg300=0.00 total=1\n");
    assertThatThrownBy(() -> Pressure.node(proc)).isInstanceOf(IOException.class)
        .hasMessageContaining(proc.resolve("pressure/cpu").toString()).hasMessageContaining("avg10");
    Files.writeString(proc.resolve("pressure/cpu"), "some 1 2\n");
    assertThatThrownBy(() -> Pressure.node(proc)).hasMessageContaining("unexpected line 'some 1 2'");
  }
}
