package dev.nodepulse.tasks.run;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.model.Progress;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.Target;
import dev.nodepulse.tasks.target.Execution;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Benchmarks of the scheduler (bench/tasks/README.md): memory per pending task, and lateness when 10,000
 * tasks fall due in the same second against a loopback HTTP server. Not a test: run with bench/tasks/run.sh.
 *
 * <p>Arguments: {@code memory [count]} or {@code lateness [count] [maxConcurrentRuns] [targets|webclient|noop]}.
 * {@code noop} succeeds at once (the scheduler alone); {@code targets} runs through the real dev.nodepulse.tasks.target.Targets; {@code webclient} through a bare
 * Vert.x WebClient GET (isolates the scheduler from the target implementation).
 */
public final class SchedulerBench {
  private SchedulerBench() {}

  public static void main(String[] args) throws Exception {
    String what = args.length > 0 ? args[0] : "memory";
    if (what.equals("memory")) {
      memory(args.length > 1 ? Integer.parseInt(args[1]) : 100_000);
    } else {
      lateness(args.length > 1 ? Integer.parseInt(args[1]) : 10_000, args.length > 2 ? args[2] : "16",
          args.length > 3 ? args[3] : "targets");
    }
    System.exit(0);
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.MINUTES);
  }

  static long usedAfterGc() throws InterruptedException {
    Runtime rt = Runtime.getRuntime();
    long best = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) {
      System.gc();
      Thread.sleep(200);
      best = Math.min(best, rt.totalMemory() - rt.freeMemory());
    }
    return best;
  }

  static dev.nodepulse.tasks.model.Declaration task(String name, String timing, JsonObject target) {
    String task = new JsonObject().put("metadata", new JsonObject().put("name", name).put("namespace", "bench"))
        .put("spec", new JsonObject(timing).put("target", target)).encode();
    try {
      return dev.nodepulse.tasks.model.Declaration.of(new dev.nodepulse.tasks.model.Origin(
          dev.nodepulse.tasks.model.Origin.Kind.FILE, "bench/" + name, 0),
          dev.nodepulse.tasks.model.TaskReader.read(task, dev.nodepulse.tasks.model.TaskReader.Format.JSON));
    } catch (dev.nodepulse.tasks.model.TaskValidationException e) {
      throw new IllegalArgumentException(e);
    }
  }

  /** Upserts in windows of 1,000 requests in flight. */
  static void upsertAll(Vertx vertx, int count, java.util.function.IntFunction<dev.nodepulse.tasks.model.Declaration> make) throws Exception {
    for (int base = 0; base < count; base += 1000) {
      List<Future<?>> batch = new ArrayList<>();
      for (int i = base; i < Math.min(count, base + 1000); i++) {
        batch.add(vertx.eventBus().request(dev.nodepulse.tasks.TasksVerticle.DECLARE, make.apply(i)));
      }
      get(Future.all(batch));
    }
  }

  static void memory(int count) throws Exception {
    Path data = Files.createTempDirectory("nodepulse-bench-mem");
    Vertx vertx = Vertx.vertx();
    get(vertx.deployVerticle(new dev.nodepulse.tasks.TasksVerticle(Config.forTest(data),
        dev.nodepulse.tasks.Plugins.standalone().withRunner((t, h, p) -> {
          throw new IllegalStateException("nothing should run");
        }, Clock.systemUTC()))));
    long before = usedAfterGc();
    long t0 = System.nanoTime();
    JsonObject target = new JsonObject().put("http", new JsonObject().put("url", "http://127.0.0.1:8080/warm")
        .put("method", "POST").put("body", "{\"all\":true}").put("headers", new JsonObject().put("X-Run", "1")));
    upsertAll(vertx, count, i -> task("pending-" + i, "{\"delay\": \"1h\"}", target));
    double secs = (System.nanoTime() - t0) / 1e9;
    long after = usedAfterGc();
    JsonObject health = get(vertx.eventBus().<JsonObject>request(dev.nodepulse.tasks.TasksVerticle.HEALTH, new JsonObject())).body();
    System.out.printf("memory: %d pending tasks (http target, delay 1h), table says %d%n", count,
        health.getInteger("tasks"));
    System.out.printf("memory: heap after GC %.1f MiB -> %.1f MiB: %.0f bytes per pending task%n",
        before / 1048576.0, after / 1048576.0, (after - before) / (double) count);
    System.out.printf("memory: upserted in %.1f s (%.0f tasks/s)%n", secs, count / secs);
    get(vertx.close());
  }

  /** A runner that GETs the URL with a bare WebClient. */
  static Runner webClientRunner(Vertx vertx) {
    WebClient client = WebClient.create(vertx, new WebClientOptions(), new io.vertx.core.http.PoolOptions().setHttp1MaxSize(256));
    return (Target target, Map<String, String> headers, Consumer<Progress> onProgress) -> {
      Target.Http h = (Target.Http) target;
      Future<RunResult> f = client.getAbs(h.url()).send()
          .map(r -> RunResult.success(r.statusCode(), r.body() == null ? 0 : r.body().length(), null))
          .otherwise(err -> RunResult.failure(RunResult.Outcome.FAILED, err.getMessage()));
      return new Execution() {
        @Override
        public Future<RunResult> result() {
          return f;
        }

        @Override
        public void cancel() {}
      };
    };
  }

  static void lateness(int count, String maxConcurrent, String runnerKind) throws Exception {
    Path data = Files.createTempDirectory("nodepulse-bench-late");
    Vertx vertx = Vertx.vertx();
    var server = get(vertx.createHttpServer().requestHandler(r -> r.response().end("ok")).listen(0, "127.0.0.1"));
    Config config = Config.forTest(data, "--max-concurrent-runs", maxConcurrent);
    Runner runner = switch (runnerKind) {
      case "webclient" -> webClientRunner(vertx);
      case "noop" -> (t, h, p) -> new Execution() {
        @Override
        public Future<RunResult> result() {
          return Future.succeededFuture(RunResult.success(200, 2, "ok"));
        }

        @Override
        public void cancel() {}
      };
      default -> null;
    };
    get(vertx.deployVerticle(new dev.nodepulse.tasks.TasksVerticle(config, dev.nodepulse.tasks.Plugins.standalone().withRunner(runner, Clock.systemUTC()))));
    List<JsonObject> runs = new CopyOnWriteArrayList<>();
    vertx.eventBus().<JsonObject>consumer(dev.nodepulse.tasks.TasksVerticle.RUN, m -> runs.add(m.body()));
    Instant due = Instant.now().plusSeconds(20).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
    JsonObject target = new JsonObject().put("http", new JsonObject()
        .put("url", "http://127.0.0.1:" + server.actualPort() + "/").put("timeout", "30s"));
    long t0 = System.nanoTime();
    upsertAll(vertx, count, i -> task("due-" + i, "{\"at\": \"" + due + "\"}", target));
    System.out.printf("lateness: %d tasks upserted in %.1f s, all due at %s%n", count,
        (System.nanoTime() - t0) / 1e9, due);
    long deadline = System.currentTimeMillis() + 180_000;
    while (runs.size() < count && System.currentTimeMillis() < deadline) {
      Thread.sleep(100);
    }
    double[] late = runs.stream().mapToDouble(r -> r.getDouble("latenessSeconds")).sorted().toArray();
    long ok = runs.stream().filter(r -> r.getString("outcome").equals("succeeded")).count();
    double lastFinish = Arrays.stream(late).max().orElse(0);
    System.out.printf("lateness: %d runs (%d succeeded), runner %s, --max-concurrent-runs %s%n", runs.size(), ok,
        runnerKind, maxConcurrent);
    System.out.printf("lateness: p50 %.3f s, p99 %.3f s, max %.3f s (first %.3f s)%n", pct(late, 50), pct(late, 99),
        lastFinish, late.length == 0 ? 0 : late[0]);
    get(vertx.close());
  }

  static double pct(double[] sorted, double p) {
    if (sorted.length == 0) {
      return Double.NaN;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
