package dev.nodepulse.usage;

import static dev.nodepulse.usage.UsageFixtures.A;
import static dev.nodepulse.usage.UsageFixtures.B;
import static dev.nodepulse.usage.UsageFixtures.C;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.usage.Cgroups.Counters;
import dev.nodepulse.usage.Cgroups.Group;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CgroupsTest {
  static final String A1 = "a1".repeat(32);
  static final String B1 = "b1".repeat(32);

  @Test
  void findsPodsAndContainersOfTheSystemdDriverOnV2() {
    Cgroups tree = Cgroups.at(UsageFixtures.resource("cgroup/v2-systemd/t1"));
    assertThat(tree.version()).isEqualTo(2);
    List<Group> groups = tree.scan();
    String podA = "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1f3a2b4c_0000_4000_8000_00000000000a.slice";
    assertThat(groups).contains(
        new Group(podA, A, "burstable", null),
        new Group(podA + "/cri-containerd-" + A1 + ".scope", A, "burstable", A1),
        new Group("kubepods.slice/kubepods-pod1f3a2b4c_0000_4000_8000_00000000000b.slice", B, "guaranteed", null),
        new Group("system.slice/sshd.service", null, null, null),
        new Group("init.scope", null, null, null));
    assertThat(groups).filteredOn(Group::isPod).extracting(Group::podUid).containsExactlyInAnyOrder(A, B, C);
    // the QoS slices are not groups of their own
    assertThat(groups).extracting(Group::path).noneMatch(p -> p.endsWith("kubepods-burstable.slice"));

    Counters a = tree.read(new Group(podA, A, "burstable", null));
    assertThat(a.usageMicros()).isEqualTo(5_000_000);
    assertThat(a.periods()).isEqualTo(100);
    assertThat(a.throttledPeriods()).isEqualTo(10);
    assertThat(a.throttledMicros()).isEqualTo(200_000);
    assertThat(a.pressure().some().avg10()).isEqualTo(10.0);
  }

  @Test
  void findsPodsOfTheCgroupfsDriverOnV1WithCpuAndCpuacctApart() {
    Cgroups tree = Cgroups.at(UsageFixtures.resource("cgroup/v1-cgroupfs/t2"));
    assertThat(tree.version()).isEqualTo(1);
    List<Group> groups = tree.scan();
    assertThat(groups).contains(
        new Group("kubepods/burstable/pod" + A, A, "burstable", null),
        new Group("kubepods/burstable/pod" + A + "/" + A1, A, "burstable", A1),
        new Group("kubepods/pod" + B + "/" + B1, B, "guaranteed", B1),
        new Group("docker", null, null, null));
    Counters a = tree.read(new Group("kubepods/burstable/pod" + A, A, "burstable", null));
    assertThat(a).isEqualTo(new Counters(5_500_000, 20, 5, 40_000, null));
  }

  @Test
  void aGroupGoneBetweenTheListingAndTheReadIsLeftOut(@TempDir Path tmp) throws IOException {
    Path root = tmp.resolve("cg");
    UsageFixtures.copy("cgroup/v2-systemd/t1", root);
    Cgroups tree = Cgroups.at(root);
    List<Group> groups = tree.scan();
    Group c = groups.stream().filter(g -> C.equals(g.podUid()) && g.isPod()).findFirst().orElseThrow();
    // the pod ends: the kernel removes its directories
    try (var all = Files.walk(root.resolve(c.path()))) {
      all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
    assertThat(tree.read(c)).isNull();
    assertThat(tree.scan()).extracting(Group::podUid).doesNotContain(C);
  }

  @Test
  void noTreeIsNull(@TempDir Path empty) {
    assertThat(Cgroups.at(empty)).isNull();
  }

  @Test
  void theGroupOfAProcess() {
    assertThat(Cgroups.ofProcess("0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod"
        + A.replace('-', '_') + ".slice/cri-containerd-" + A1 + ".scope\n"))
        .isEqualTo("kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + A.replace('-', '_')
            + ".slice/cri-containerd-" + A1 + ".scope");
    String v1 = "12:memory:/kubepods/burstable/pod" + A + "/" + A1 + "\n3:cpu,cpuacct:/kubepods/burstable/pod" + A + "/" + A1 + "\n";
    assertThat(Cgroups.ofProcess(v1)).isEqualTo("kubepods/burstable/pod" + A + "/" + A1);
    assertThat(Cgroups.classify(Cgroups.ofProcess(v1))).isEqualTo(
        new Group("kubepods/burstable/pod" + A + "/" + A1, A, "burstable", A1));
    assertThat(Cgroups.classify("system.slice/sshd.service").podUid()).isNull();
    assertThat(Cgroups.ofProcess("1:name=systemd:/\n")).isNull();
  }
}
