package dev.nodepulse.usage;

import static dev.nodepulse.usage.UsageFixtures.A;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole agent on this machine's /proc (which has PSI) and a fixture cgroup tree as its {@code --sysfs}:
 * /api/v1/pressure, /api/v1/pods, the pressure metrics and the readiness component, over real HTTP.
 */
class UsageRestTest {
  @TempDir static Path tmp;
  static Agent agent;
  static WebClient client;

  @BeforeAll
  static void start() throws Exception {
    Path sys = tmp.resolve("sys");
    UsageFixtures.copy("cgroup/v2-systemd/t1", sys.resolve("fs/cgroup"));
    agent = Agent.start(Config.forTest(tmp.resolve("data"), "--sysfs", sys.toString())).await();
    client = WebClient.create(agent.vertx());
    await().atMost(Duration.ofSeconds(30)).until(() -> get("/readyz").statusCode() == 200);
  }

  @AfterAll
  static void stop() {
    agent.stop().await();
  }

  static HttpResponse<Buffer> get(String path) {
    return client.get(agent.httpPort(), "127.0.0.1", path).timeout(10_000).send().await();
  }

  static JsonObject json(String path, int status) {
    HttpResponse<Buffer> r = get(path);
    assertThat(r.statusCode()).as("status of %s: %s", path, r.bodyAsString()).isEqualTo(status);
    assertThat(r.getHeader("content-type")).startsWith("application/json");
    return r.bodyAsJsonObject();
  }

  @Test
  void pressureOfThisMachineInRestMetricsAndReadiness() {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.isReadable(Path.of("/proc/pressure/cpu")), "this kernel has PSI");
    JsonObject p = json("/api/v1/pressure", 200);
    assertThat(p.getBoolean("available")).isTrue();
    for (String r : new String[] {"cpu", "memory", "io"}) {
      JsonObject some = p.getJsonObject(r).getJsonObject("some");
      assertThat(some.fieldNames()).containsExactlyInAnyOrder("avg10", "avg60", "avg300", "totalSeconds");
      assertThat(some.getDouble("avg10")).isBetween(0.0, 100.0);
    }
    assertThat(p.getString("sampledAt")).isNotBlank();
    await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(get("/metrics").bodyAsString())
        .containsPattern("(?m)^node_pressure_cpu_waiting_seconds_total [0-9.eE+]+$")
        .containsPattern("(?m)^node_pressure_memory_waiting_seconds_total ")
        .containsPattern("(?m)^node_pressure_memory_stalled_seconds_total ")
        .containsPattern("(?m)^node_pressure_io_waiting_seconds_total ")
        .containsPattern("(?m)^node_pressure_io_stalled_seconds_total ")
        .contains("# TYPE node_pressure_cpu_waiting_seconds_total counter"));
    JsonObject usage = json("/readyz", 200).getJsonObject("components").getJsonObject("usage");
    assertThat(usage.getString("pressure")).isEqualTo("present");
    assertThat(usage.getString("cgroups")).startsWith("v2 at ");
  }

  @Test
  void podsFromTheFixtureTreeNamedFromWhatKubernetesModeSends() {
    JsonObject all = json("/api/v1/pods", 200);
    assertThat(all.getInteger("cgroupVersion")).isEqualTo(2);
    assertThat(all.getJsonArray("items")).hasSize(3);
    assertThat(all.getJsonArray("cgroups").stream().map(o -> ((JsonObject) o).getString("cgroup")))
        .contains("system.slice/sshd.service");
    JsonObject notFound = json("/api/v1/pods/shop/web-0", 404);
    assertThat(notFound.getString("error")).contains("shop/web-0");

    agent.vertx().eventBus().publish(UsageVerticle.NAMES, new JsonObject().put("uid", A).put("namespace", "shop")
        .put("name", "web-0").put("containers", new JsonObject().put(CgroupsTest.A1, "nginx")));
    await().atMost(Duration.ofSeconds(30)).until(() -> get("/api/v1/pods/shop/web-0").statusCode() == 200);
    JsonObject pod = json("/api/v1/pods/shop/web-0", 200);
    assertThat(pod.getString("uid")).isEqualTo(A);
    assertThat(pod.getString("qos")).isEqualTo("burstable");
    assertThat(pod.getJsonObject("throttling").getLong("periods")).isEqualTo(100L);
    assertThat(pod.getJsonArray("containers").stream().map(o -> ((JsonObject) o).getString("name"))).contains("nginx");
    // counters that do not move: 0 % once there are two samples
    await().atMost(Duration.ofSeconds(30)).until(() -> json("/api/v1/pods/shop/web-0", 200).getValue("cpuPercent") != null);
    assertThat(json("/api/v1/pods/shop/web-0", 200).getDouble("cpuPercent")).isEqualTo(0.0);

    agent.vertx().eventBus().publish(UsageVerticle.NAMES, new JsonObject().put("uid", A).put("deleted", true));
    await().atMost(Duration.ofSeconds(30)).until(() -> get("/api/v1/pods/shop/web-0").statusCode() == 404);
  }

  @Test
  void busiestProcessesCarryTheirCgroup() {
    JsonObject ps = json("/api/v1/processes", 200);
    assertThat(ps.getJsonArray("processes")).isNotEmpty();
    // on this machine every process is in some cgroup (v1 or v2): each listed one says which
    assertThat(ps.getJsonArray("processes").stream().map(o -> (JsonObject) o))
        .anySatisfy(p -> assertThat(p.containsKey("cgroup")).isTrue());
  }

  @Test
  void theOwnersOfProcessesInPodsAreNamed(@TempDir Path proc) throws Exception {
    String podPath = "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" + A.replace('-', '_')
        + ".slice/cri-containerd-" + CgroupsTest.A1 + ".scope";
    Files.createDirectories(proc.resolve("41"));
    Files.writeString(proc.resolve("41/cgroup"), "0::/" + podPath + "\n");
    Files.createDirectories(proc.resolve("42"));
    Files.writeString(proc.resolve("42/cgroup"), "0::/system.slice/sshd.service\n");
    Vertx vertx = Vertx.vertx();
    try {
      vertx.deployVerticle(new UsageVerticle(proc, proc.resolve("no-cgroup"), 60_000, System::nanoTime)).await();
      vertx.eventBus().publish(UsageVerticle.NAMES, new JsonObject().put("uid", A).put("namespace", "shop")
          .put("name", "web-0").put("containers", new JsonObject().put(CgroupsTest.A1, "nginx")));
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        JsonObject owners = vertx.eventBus().<JsonObject>request(UsageVerticle.OWNERS,
            new JsonObject().put("pids", new io.vertx.core.json.JsonArray().add(41).add(42).add(43))).await().body()
            .getJsonObject("owners");
        assertThat(owners.getJsonObject("41")).isEqualTo(new JsonObject().put("cgroup", podPath).put("podUid", A)
            .put("namespace", "shop").put("pod", "web-0").put("container", "nginx"));
        assertThat(owners.getJsonObject("42")).isEqualTo(new JsonObject().put("cgroup", "system.slice/sshd.service"));
        assertThat(owners.containsKey("43")).isFalse(); // no such process
      });
    } finally {
      vertx.close().await();
    }
  }

  @Test
  void perPodSeriesOnlyWithPodMetrics(@TempDir Path data) {
    assertThat(get("/metrics").bodyAsString()).doesNotContain("nodepulse_pod_cpu");
    Path sys = data.resolve("sys");
    UsageFixtures.copy("cgroup/v1-cgroupfs/t1", sys.resolve("fs/cgroup"));
    Agent withPods = Agent.start(Config.forTest(data.resolve("data"), "--sysfs", sys.toString(), "--pod-metrics", "true")).await();
    try {
      WebClient c = WebClient.create(withPods.vertx());
      withPods.vertx().eventBus().publish(UsageVerticle.NAMES, new JsonObject().put("uid", A).put("namespace", "shop")
          .put("name", "web-0").put("containers", new JsonObject()));
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
          c.get(withPods.httpPort(), "127.0.0.1", "/metrics").send().await().bodyAsString())
          .contains("nodepulse_pod_cpu_usage_seconds_total{namespace=\"shop\",pod=\"web-0\"} 5.0")
          .contains("nodepulse_pod_cpu_periods_total{namespace=\"shop\",pod=\"web-0\"} 10.0")
          .contains("nodepulse_pod_cpu_throttled_periods_total{namespace=\"shop\",pod=\"web-0\"} 0.0")
          .contains("nodepulse_pod_cpu_usage_seconds_total{namespace=\"\",pod=\"" + UsageFixtures.B + "\"} 1.0"));
    } finally {
      withPods.stop().await();
    }
  }

  @Test
  void withoutPsiTheComponentSaysSoAndPressureIsAbsent(@TempDir Path proc) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      vertx.deployVerticle(new UsageVerticle(proc, proc.resolve("no-cgroup"), 200, System::nanoTime)).await();
      await().atMost(Duration.ofSeconds(30)).until(() -> vertx.eventBus().<JsonObject>request(UsageVerticle.HEALTH,
          new JsonObject()).await().body().getBoolean("ready"));
      JsonObject health = vertx.eventBus().<JsonObject>request(UsageVerticle.HEALTH, new JsonObject()).await().body();
      assertThat(health.getString("state")).isEqualTo("up");
      assertThat(health.getString("pressure")).startsWith("absent: no pressure stall information: " + proc.resolve("pressure"))
          .contains("CONFIG_PSI");
      assertThat(health.getString("cgroups")).startsWith("absent:");
      JsonObject pressure = vertx.eventBus().<JsonObject>request(UsageVerticle.PRESSURE, new JsonObject()).await().body();
      assertThat(pressure.getBoolean("available")).isFalse();
      assertThat(pressure.getString("reason")).contains("CONFIG_PSI");
      JsonObject pods = vertx.eventBus().<JsonObject>request(UsageVerticle.PODS, new JsonObject()).await().body();
      assertThat(pods.getJsonArray("items")).isEmpty();
      assertThat(pods.getValue("cgroupVersion")).isNull();
    } finally {
      vertx.close().await();
    }
  }
}
