package dev.nodepulse.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.AgentOutput;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * 10,000 tasks on an agent started by the {@code ./nodepulse} launcher (its lean JVM options: a 64 MiB heap):
 * paging through GET /api/v1/tasks gives every task exactly once, each page in time, and the agent stays
 * whole: no OutOfMemoryError, no stall of the sampler (no gap in the history), the heap below its cap.
 * Before lists were paged, the one answer with every task ran the heap out and stalled the event loop for
 * seconds (the sampler marked a gap).
 */
class LongTaskListIT {
  private static final int TASKS = 10_000;
  private static final Pattern HEAP = Pattern.compile("(?m)^jvm_memory_used_bytes\\{area=\"heap\"} (\\S+)$");
  @TempDir Path tmp;

  @Test
  void tenThousandTasksArePagedOnTheLeanHeapWithoutAGap() throws Exception {
    ProcessBuilder pb = new ProcessBuilder(Path.of("nodepulse").toAbsolutePath().toString(), "--http-port", "0",
        "--data-dir", tmp.toString()).redirectErrorStream(true);
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().put("NODEPULSE_AOT", "off"); // the lean options alone, no training run
    Process agent = pb.start();
    StringBuilder out = new StringBuilder();
    try (HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build()) {
      int port = AgentOutput.awaitPort(agent, out, 120);
      String base = "http://127.0.0.1:" + port;
      post(http, base);

      Set<String> seen = new HashSet<>();
      List<String> order = new ArrayList<>();
      String token = null;
      int pages = 0;
      double heapMax = 0;
      do {
        JsonObject page = getJson(http, base + "/api/v1/tasks?limit=500"
            + (token == null ? "" : "&continue=" + URLEncoder.encode(token, StandardCharsets.UTF_8)));
        pages++;
        JsonArray items = page.getJsonArray("items");
        assertThat(items.size()).isBetween(1, 500);
        for (Object o : items) {
          JsonObject m = ((JsonObject) o).getJsonObject("metadata");
          String key = m.getString("namespace") + "/" + m.getString("name");
          assertThat(seen.add(key)).as("%s listed twice", key).isTrue();
          order.add(key);
        }
        token = page.getJsonObject("metadata").getString("continue");
        if (token != null) {
          assertThat(page.getJsonObject("metadata").getInteger("remainingItemCount")).isEqualTo(TASKS - seen.size());
        }
        heapMax = Math.max(heapMax, heapUsed(http, base));
      } while (token != null && pages < 100);
      assertThat(seen).hasSize(TASKS);
      assertThat(order).isSorted();
      assertThat(pages).isEqualTo(TASKS / 500);

      // without a limit: the default page, bounded, whatever the list holds
      JsonObject plain = getJson(http, base + "/api/v1/tasks");
      assertThat(plain.getJsonArray("items")).hasSize(100);
      assertThat(plain.getJsonObject("metadata").getInteger("remainingItemCount")).isEqualTo(TASKS - 100);

      // the history holds a point a second from the start: once it has more than ten, none may be missing
      JsonArray[] history = new JsonArray[1];
      org.awaitility.Awaitility.await().atMost(60, TimeUnit.SECONDS).pollInterval(Duration.ofSeconds(1)).until(() ->
          (history[0] = getJson(http, base + "/api/v1/history?window=1h").getJsonArray("points")).size() > 10);
      JsonArray points = history[0];
      assertThat(points.stream().map(p -> ((JsonObject) p).getValue("cpu")))
          .as("no gap in the history (a null point marks a stalled sampler)").doesNotContainNull();
      System.out.printf("LongTaskListIT: heap used at most %.1f MiB while paging%n", heapMax / 1048576);
      assertThat(heapMax).as("heap used while paging").isLessThan(60 * 1024 * 1024);
      assertThat(agent.isAlive()).isTrue();
    } finally {
      agent.destroy();
      if (!agent.waitFor(30, TimeUnit.SECONDS)) {
        agent.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    }
    String log;
    synchronized (out) {
      log = out.toString();
    }
    assertThat(log).doesNotContain("OutOfMemoryError").doesNotContain("stalled").doesNotContain("blocked for");
  }

  /** 10,000 tasks by REST, four connections at once; none runs during the test (a day's delay). */
  private static void post(HttpClient http, String base) throws Exception {
    try (ExecutorService pool = Executors.newFixedThreadPool(4)) {
      List<Future<?>> parts = new ArrayList<>();
      for (int part = 0; part < 4; part++) {
        int first = part;
        parts.add(pool.submit(() -> {
          for (int i = first; i < TASKS; i += 4) {
            String n = String.format("%04d", i);
            String task = "{\"metadata\":{\"name\":\"warm-" + n + "\",\"namespace\":\"ns-" + n.substring(0, 2) + "\"},"
                + "\"spec\":{\"title\":\"Warm the product cache of shop " + n + "\",\"delay\":\"24h\","
                + "\"target\":{\"http\":{\"url\":\"http://127.0.0.1:9/warm/" + n + "\",\"method\":\"POST\","
                + "\"headers\":{\"X-Run\":\"1\",\"Content-Type\":\"application/json\"},\"body\":\"{\\\"all\\\":true}\","
                + "\"timeout\":\"5s\"}},\"retry\":{\"limit\":2,\"backoff\":\"2s\"}}}";
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/tasks"))
                .timeout(Duration.ofSeconds(30)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(task)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
          }
          return null;
        }));
      }
      for (Future<?> f : parts) {
        f.get(10, TimeUnit.MINUTES);
      }
    }
  }

  private static JsonObject getJson(HttpClient http, String url) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("%s: %s", url, r.body()).isEqualTo(200);
    return new JsonObject(r.body());
  }

  private static double heapUsed(HttpClient http, String base) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/metrics"))
        .timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
    Matcher m = HEAP.matcher(r.body());
    assertThat(m.find()).as("heap in /metrics").isTrue();
    return Double.parseDouble(m.group(1));
  }
}
