package dev.nodepulse.web;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import java.time.Instant;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The page's peers faked on one router: the real live routes, samples published on the bus at 1 Hz,
 * and canned REST answers. For working on the page's looks before the sampler and REST land
 * ({@code main} serves it on a port); the browser tests use the real agent.
 */
public final class LiveFakeAgent implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final Random random = new Random(7);
  private final int cores;
  /** A CPU number that is offline (absent from the lists, as the sampler reports it), or -1. */
  private final int offline;
  /** Time between the points of the canned history (the agent's --sample-interval). */
  private final long historyStepMs;
  private final HttpServer server;
  private double cpu = 20;
  private double avg = 20;

  public LiveFakeAgent(int port, int cores) {
    this(port, cores, -1, 1000);
  }

  /** {@code cores} online CPUs, numbered from 0 but skipping {@code offline}; history points {@code historyStepMs} apart. */
  public LiveFakeAgent(int port, int cores, int offline, long historyStepMs) {
    this.cores = cores;
    this.offline = offline;
    this.historyStepMs = historyStepMs;
    Router router = Router.router(vertx);
    LiveRoutes.mount(vertx, router, LiveBridge.MAX_IN_FLIGHT, LiveRoutes.PING_TIMEOUT_MS);
    router.get("/api/v1/host").handler(ctx -> ctx.json(new JsonObject().put("hostname", "demo-host")
        .put("nodeName", "worker-3").put("os", "Debian GNU/Linux 13 (trixie)").put("kernel", "6.12.48-1-amd64")
        .put("arch", "amd64").put("cpuModel", "AMD EPYC 7B13").put("logicalCpus", cores).put("physicalCpus", cores / 2)
        .put("bootTime", "2026-11-20T08:00:00Z").put("uptimeSeconds", 270_000).put("version", "0.1.0").put("mode", "standalone")));
    router.get("/api/v1/history").handler(ctx -> {
      JsonArray points = new JsonArray();
      long now = System.currentTimeMillis();
      double c = 15;
      for (long t = now - 3_600_000; t < now; t += historyStepMs) {
        boolean down = t > now - 2_400_000 && t < now - 2_100_000;
        if (down) {
          if (t < now - 2_399_000) {
            points.add(new JsonObject().put("t", t).putNull("cpu").putNull("avg1m"));
          }
          continue;
        }
        c = Math.max(1, Math.min(99, c + random.nextGaussian() * 4));
        points.add(new JsonObject().put("t", t).put("cpu", c).put("avg1m", 0.9 * 20 + 0.1 * c));
      }
      ctx.json(new JsonObject().put("points", points));
    });
    router.get("/api/v1/processes").handler(ctx -> {
      JsonArray ps = new JsonArray();
      String[] names = {"java", "postgres", "chromium", "node", "containerd", "kubelet", "dockerd", "sshd", "systemd", "nginx"};
      for (int i = 0; i < names.length; i++) {
        ps.add(new JsonObject().put("pid", 1000 + i * 37).put("ppid", 1).put("name", names[i]).put("user", i % 3 == 0 ? "root" : "app")
            .put("cpuPercent", 60.0 / (i + 1) + random.nextDouble()).put("rssBytes", (long) (900e6 / (i + 1))).put("startedAt", "2026-11-23T08:00:00Z"));
      }
      ctx.json(new JsonObject().put("processes", ps));
    });
    router.get("/api/v1/tasks").handler(ctx -> ctx.json(new JsonObject().put("items", new JsonArray()
        .add(task("warm-cache", "shop", "Warm the product cache", new JsonObject().put("http", new JsonObject().put("url", "http://api.shop:8080/warm").put("method", "POST")), "every", "30s", "Scheduled", null))
        .add(task("pi-5000", "default", "Pi to 5000 digits", new JsonObject().put("compute", new JsonObject().put("pi", new JsonObject().put("digits", 5000))), "delay", "5s", "Running", 42.0))
        .add(task("reload-nginx", "default", null, new JsonObject().put("pipe", new JsonObject().put("name", "reload-nginx")), "schedule", "*/5 * * * *", "Failed", null)))));
    router.get("/readyz").handler(ctx -> ctx.json(new JsonObject().put("status", "ready").put("components", new JsonObject()
        .put("sampler", new JsonObject().put("state", "up").put("ready", true).put("samples", 1234))
        .put("metrics", new JsonObject().put("state", "up").put("ready", true))
        .put("scheduler", new JsonObject().put("state", "up").put("ready", true).put("tasks", 3))
        .put("web", new JsonObject().put("state", "up").put("ready", true).put("clients", 1)))));
    vertx.setPeriodic(1000, id -> publishSample());
    vertx.setPeriodic(2500, id -> vertx.eventBus().publish("nodepulse.tasks.run", new JsonObject().put("namespace", "shop")
        .put("name", "warm-cache").put("target", "http").put("outcome", random.nextInt(8) == 0 ? "failure" : "success")
        .put("durationSeconds", 0.05 + random.nextDouble() * 0.4).put("latenessSeconds", 0.002)));
    server = vertx.createHttpServer().requestHandler(router).listen(port, "127.0.0.1").await();
  }

  private static JsonObject task(String name, String ns, String title, JsonObject target, String when, String value, String phase, Double percent) {
    JsonObject spec = new JsonObject().put("target", target).put(when, value);
    if (title != null) {
      spec.put("title", title);
    }
    JsonObject status = new JsonObject().put("phase", phase).put("nextRunAt", Instant.now().plusSeconds(95).toString());
    if (percent != null) {
      status.put("progress", new JsonObject().put("percent", percent).put("intermediate", "3.14159"));
    } else {
      status.put("lastRun", new JsonObject().put("outcome", "Failed".equals(phase) ? "failure" : "success").put("durationMs", 182)
          .put("finishedAt", Instant.now().minusSeconds(40).toString()));
    }
    return new JsonObject().put("apiVersion", "nodepulse.dev/v1alpha1").put("kind", "DelayedTask")
        .put("metadata", new JsonObject().put("name", name).put("namespace", ns)).put("spec", spec).put("status", status);
  }

  private void publishSample() {
    cpu = Math.max(1, Math.min(99, cpu + random.nextGaussian() * 5));
    avg = avg + (cpu - avg) / 60;
    JsonArray perCore = new JsonArray();
    JsonArray times = new JsonArray();
    for (int i = 0; i < cores; i++) {
      double busy = Math.max(0, Math.min(100, cpu + random.nextGaussian() * 20 + (i == 1 ? 40 : 0)));
      perCore.add(busy);
      int number = offline >= 0 && i >= offline ? i + 1 : i;
      times.add(new JsonObject().put("cpu", Integer.toString(number)).put("user", busy).put("idle", 100 - busy));
    }
    long t = System.currentTimeMillis();
    vertx.eventBus().publish("nodepulse.sampler.sample", new JsonObject().put("t", t).put("sampledAt", Instant.ofEpochMilli(t).toString())
        .put("cpu", new JsonObject().put("percent", cpu).put("perCore", perCore).put("avg1m", avg)
            .put("load", new JsonObject().put("1m", 1.2).put("5m", 0.9).put("15m", 0.7)))
        .put("times", new JsonObject().put("perCore", times))
        .put("memory", new JsonObject().put("totalBytes", 16_000_000_000L).put("availableBytes", 9_000_000_000L)
            .put("usedBytes", 7_000_000_000L).put("swapTotalBytes", 2_000_000_000L).put("swapUsedBytes", 100_000_000L))
        .put("partitions", new JsonArray()
            .add(new JsonObject().put("mountPoint", "/").put("device", "/dev/vda1").put("fsType", "ext4").put("totalBytes", 100_000_000_000L)
                .put("usedBytes", 62_000_000_000L).put("freeBytes", 38_000_000_000L).put("usedPercent", 62.0))
            .add(new JsonObject().put("mountPoint", "/var/lib/containerd").put("device", "/dev/vdb").put("fsType", "xfs").put("totalBytes", 500_000_000_000L)
                .put("usedBytes", 455_000_000_000L).put("freeBytes", 45_000_000_000L).put("usedPercent", 91.0))));
  }

  public int port() {
    return server.actualPort();
  }

  @Override
  public void close() {
    try {
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("fake agent did not close", e);
    }
  }

  public static void main(String[] args) throws Exception {
    LiveFakeAgent fake = new LiveFakeAgent(Integer.parseInt(args[0]), args.length > 1 ? Integer.parseInt(args[1]) : 8);
    System.out.println("fake agent on http://127.0.0.1:" + fake.port() + "/");
    Thread.sleep(Long.MAX_VALUE);
  }
}
