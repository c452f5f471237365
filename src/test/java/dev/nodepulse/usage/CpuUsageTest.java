package dev.nodepulse.usage;

import static dev.nodepulse.usage.UsageFixtures.A;
import static dev.nodepulse.usage.UsageFixtures.B;
import static dev.nodepulse.usage.UsageFixtures.C;
import static dev.nodepulse.usage.UsageFixtures.D;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.usage.Cgroups.Counters;
import dev.nodepulse.usage.Cgroups.Group;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** CPU per pod, container and cgroup between two fixture snapshots one second apart, checked against their counters. */
class CpuUsageTest {
  static final long SECOND = 1_000_000_000L;
  static final String A1 = CgroupsTest.A1;

  static Map<Group, Counters> read(String snapshot) {
    Cgroups tree = Cgroups.at(UsageFixtures.resource(snapshot));
    Map<Group, Counters> out = new LinkedHashMap<>();
    for (Group g : tree.scan()) {
      Counters c = tree.read(g);
      if (c != null) {
        out.put(g, c);
      }
    }
    return out;
  }

  static JsonObject pod(JsonObject sample, String uid) {
    return sample.getJsonArray("items").stream().map(JsonObject.class::cast)
        .filter(p -> uid.equals(p.getString("uid"))).findFirst().orElse(null);
  }

  static JsonObject container(JsonObject pod, String id) {
    return pod.getJsonArray("containers").stream().map(JsonObject.class::cast)
        .filter(c -> id.equals(c.getString("id"))).findFirst().orElseThrow();
  }

  @Test
  void v2SystemdPerPodAndContainerFromTheCounters() {
    CpuUsage usage = new CpuUsage();
    JsonObject first = usage.sample(read("cgroup/v2-systemd/t1"), 5 * SECOND, Map.of());
    assertThat(pod(first, A).getValue("cpuPercent")).isNull(); // nothing to compare with yet

    var names = Map.of(A, new CpuUsage.Names("shop", "web-0", Map.of(A1, "nginx")));
    JsonObject s = usage.sample(read("cgroup/v2-systemd/t2"), 6 * SECOND, names);
    JsonObject a = pod(s, A);
    // usage_usec 5_000_000 -> 5_750_000 in 1 s: 75 % of one CPU; 5 of 10 periods throttled
    assertThat(a.getDouble("cpuPercent")).isEqualTo(75.0);
    assertThat(a.getDouble("throttledPercent")).isEqualTo(50.0);
    assertThat(a.getJsonObject("throttling")).isEqualTo(new JsonObject()
        .put("periods", 110L).put("throttledPeriods", 15L).put("throttledSeconds", 0.45));
    assertThat(a.getString("namespace")).isEqualTo("shop");
    assertThat(a.getString("name")).isEqualTo("web-0");
    assertThat(a.getString("qos")).isEqualTo("burstable");
    assertThat(a.getJsonObject("pressure").getJsonObject("some").getDouble("avg10")).isEqualTo(12.5);
    assertThat(container(a, A1).getDouble("cpuPercent")).isEqualTo(50.0);
    assertThat(container(a, A1).getString("name")).isEqualTo("nginx");
    assertThat(container(a, "a2".repeat(32)).getDouble("cpuPercent")).isEqualTo(25.0);
    assertThat(container(a, "a2".repeat(32)).getString("name")).isNull();

    // guaranteed pod busy on two cores: 150 %; its container's counter went back (made anew): no figure, not a negative one
    JsonObject b = pod(s, B);
    assertThat(b.getDouble("cpuPercent")).isEqualTo(150.0);
    assertThat(container(b, "b1".repeat(32)).getValue("cpuPercent")).isNull();
    assertThat(b.getString("name")).isNull(); // not named: no pod of this node has that uid

    // C went away, D appeared: D has no figure for its first interval
    assertThat(pod(s, C)).isNull();
    assertThat(pod(s, D).getValue("cpuPercent")).isNull();
    // busiest first, new ones last
    assertThat(s.getJsonArray("items").stream().map(o -> ((JsonObject) o).getString("uid")).toList())
        .containsExactly(B, A, D);
    JsonObject sshd = s.getJsonArray("cgroups").stream().map(JsonObject.class::cast)
        .filter(g -> g.getString("cgroup").equals("system.slice/sshd.service")).findFirst().orElseThrow();
    assertThat(sshd.getDouble("cpuPercent")).isEqualTo(1.0);
  }

  @Test
  void v1CgroupfsFromTheCountersOverTheElapsedTime() {
    CpuUsage usage = new CpuUsage();
    usage.sample(read("cgroup/v1-cgroupfs/t1"), 10 * SECOND, Map.of());
    // two seconds between the scans this time
    JsonObject s = usage.sample(read("cgroup/v1-cgroupfs/t2"), 12 * SECOND, Map.of());
    JsonObject a = pod(s, A);
    // cpuacct.usage 5.0e9 -> 5.5e9 ns over 2 s: 25 %; 5 of 10 periods throttled
    assertThat(a.getDouble("cpuPercent")).isEqualTo(25.0);
    assertThat(a.getDouble("throttledPercent")).isEqualTo(50.0);
    assertThat(a.getJsonObject("throttling").getDouble("throttledSeconds")).isEqualTo(0.04);
    assertThat(a.containsKey("pressure")).isFalse();
    assertThat(container(a, A1).getDouble("cpuPercent")).isEqualTo(25.0);
    assertThat(pod(s, B).getDouble("cpuPercent")).isEqualTo(0.0);
    assertThat(pod(s, C)).isNull();
    JsonArray cgroups = s.getJsonArray("cgroups");
    assertThat(cgroups.getJsonObject(0).getString("cgroup")).isEqualTo("docker");
    assertThat(cgroups.getJsonObject(0).getDouble("cpuPercent")).isEqualTo(1.0);
  }

  @Test
  void aCounterResetIsNoFigureThenCountsAgain() {
    CpuUsage usage = new CpuUsage();
    usage.sample(read("cgroup/v2-systemd/t2"), 1 * SECOND, Map.of());
    JsonObject back = usage.sample(read("cgroup/v2-systemd/t1"), 2 * SECOND, Map.of());
    assertThat(pod(back, A).getValue("cpuPercent")).isNull();
    JsonObject again = usage.sample(read("cgroup/v2-systemd/t2"), 3 * SECOND, Map.of());
    assertThat(pod(again, A).getDouble("cpuPercent")).isEqualTo(75.0);
  }
}
