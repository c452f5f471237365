package dev.nodepulse.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GET /api/v1/partitions on a node with 1,200 mounted filesystems: bounded pages by mount point, each once. */
class PartitionPagingTest {
  private static final int MOUNTS = 1_200;
  @TempDir Path tmp;

  @Test
  void aNodeWithThousandsOfMountsIsListedInBoundedPages() throws Exception {
    Path procfs = Files.createDirectories(tmp.resolve("proc"));
    Path rootfs = Files.createDirectories(tmp.resolve("root"));
    Files.writeString(procfs.resolve("stat"), "cpu  100 0 100 800 0 0 0 0\ncpu0 100 0 100 800 0 0 0 0\n"
        + "intr 0\nctxt 0\nbtime 1795431142\nprocesses 1\nprocs_running 1\nprocs_blocked 0\n");
    Files.writeString(procfs.resolve("loadavg"), "0.52 0.58 0.59 1/189 4242\n");
    Files.writeString(procfs.resolve("uptime"), "1000.00 1900.00\n");
    Files.writeString(procfs.resolve("meminfo"), "MemTotal: 16384000 kB\nMemFree: 8192000 kB\n"
        + "MemAvailable: 10240000 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n");
    StringBuilder mounts = new StringBuilder();
    List<String> points = new ArrayList<>();
    for (int i = 0; i < MOUNTS; i++) {
      String point = "/data/vol" + i;
      Files.createDirectories(rootfs.resolve(point.substring(1)));
      mounts.append("/dev/vd").append(i).append(' ').append(point).append(" ext4 rw,relatime 0 0\n");
      points.add(point);
    }
    Files.writeString(procfs.resolve("mounts"), mounts);
    points.sort(null);

    Agent agent = Agent.start(Config.forTest(tmp.resolve("data"), "--procfs", procfs.toString(),
        "--rootfs", rootfs.toString())).await();
    try {
      WebClient client = WebClient.create(agent.vertx());
      await().atMost(Duration.ofSeconds(60)).until(() -> {
        HttpResponse<Buffer> r = get(client, agent, "/api/v1/partitions?limit=1");
        return r.statusCode() == 200 && !r.bodyAsJsonObject().getJsonArray("partitions").isEmpty();
      });
      JsonObject first = get(client, agent, "/api/v1/partitions").bodyAsJsonObject();
      assertThat(first.getJsonArray("partitions")).hasSize(100);
      assertThat(first.getJsonObject("metadata").getInteger("remainingItemCount")).isEqualTo(MOUNTS - 100);

      List<String> seen = new ArrayList<>();
      String token = null;
      do {
        HttpResponse<Buffer> r = get(client, agent, "/api/v1/partitions?limit=500"
            + (token == null ? "" : "&continue=" + URLEncoder.encode(token, StandardCharsets.UTF_8)));
        assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
        JsonObject page = r.bodyAsJsonObject();
        assertThat(page.getJsonArray("partitions").size()).isBetween(1, 500);
        page.getJsonArray("partitions").forEach(p -> seen.add(((JsonObject) p).getString("mountPoint")));
        token = page.getJsonObject("metadata").getString("continue");
      } while (token != null);
      assertThat(seen).containsExactlyElementsOf(points);

      HttpResponse<Buffer> bad = get(client, agent, "/api/v1/partitions?limit=501");
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(bad.bodyAsJsonObject().getJsonObject("details"))
          .isEqualTo(new JsonObject().put("field", "limit").put("value", "501"));
    } finally {
      agent.stop().await();
    }
  }

  private static HttpResponse<Buffer> get(WebClient client, Agent agent, String path) {
    return client.get(agent.httpPort(), "127.0.0.1", path).timeout(10_000).send().await();
  }
}
