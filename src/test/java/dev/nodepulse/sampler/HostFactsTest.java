package dev.nodepulse.sampler;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Host facts from a procfs and root tree, without OSHI. */
class HostFactsTest {
  @Test
  void readsHostKernelCpuAndOsFromTheConfiguredTrees(@TempDir Path dir) throws Exception {
    Path proc = Files.createDirectories(dir.resolve("proc"));
    Files.createDirectories(proc.resolve("sys/kernel"));
    Files.writeString(proc.resolve("sys/kernel/hostname"), "node-7\n");
    Files.writeString(proc.resolve("sys/kernel/osrelease"), "6.1.0-fixture\n");
    // two sockets, two cores each, two threads per core: 8 logical, 4 physical
    StringBuilder cpuinfo = new StringBuilder();
    for (int cpu = 0; cpu < 8; cpu++) {
      cpuinfo.append("processor\t: ").append(cpu).append("\nmodel name\t: Fixture Xeon 9000\nphysical id\t: ")
          .append(cpu / 4).append("\ncore id\t\t: ").append(cpu % 2).append("\n\n");
    }
    Files.writeString(proc.resolve("cpuinfo"), cpuinfo);
    Path root = Files.createDirectories(dir.resolve("root/etc"));
    Files.writeString(root.resolve("os-release"), "NAME=\"Fixture\"\nPRETTY_NAME=\"Fixture Linux 3 (calm)\"\n");

    HostFacts h = HostFacts.read(proc, dir.resolve("root"), "worker-1", 8, 1_700_000_000L);

    assertThat(h.hostname()).isEqualTo("node-7");
    assertThat(h.nodeName()).isEqualTo("worker-1");
    assertThat(h.kernel()).isEqualTo("6.1.0-fixture");
    assertThat(h.os()).isEqualTo("Fixture Linux 3 (calm)");
    assertThat(h.cpuModel()).isEqualTo("Fixture Xeon 9000");
    assertThat(h.logicalCpus()).isEqualTo(8);
    assertThat(h.physicalCpus()).isEqualTo(4);
    assertThat(h.toJson(1_700_000_100_000L).getLong("uptimeSeconds")).isEqualTo(100);
  }

  @Test
  void armCpuinfoWithoutTopologyAndAMissingOsReleaseStillGiveFacts(@TempDir Path dir) throws Exception {
    Path proc = Files.createDirectories(dir.resolve("proc"));
    Files.writeString(proc.resolve("cpuinfo"), "processor\t: 0\nBogoMIPS\t: 48.00\n\nprocessor\t: 1\nBogoMIPS\t: 48.00\n\n"
        + "Hardware\t: BCM2835\n");

    HostFacts h = HostFacts.read(proc, dir, "n", 2, 0);

    assertThat(h.cpuModel()).isEqualTo("BCM2835");
    assertThat(h.physicalCpus()).as("no core ids: one core per logical CPU").isEqualTo(2);
    assertThat(h.os()).isEqualTo("Linux");
    assertThat(h.kernel()).isEqualTo("unknown");
    assertThat(h.hostname()).isNotBlank();
  }
}
