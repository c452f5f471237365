package dev.nodepulse.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * GET /api/v1/tasks is paged as Kubernetes lists are ({@code limit}, {@code continue}, {@code metadata.continue}
 * and {@code metadata.remainingItemCount}), over real HTTP against a started agent.
 */
class TaskListPagingTest {
  @TempDir static Path tmp;
  static Agent agent;
  static WebClient client;
  /** Every key posted, in the list's order (namespace/name as strings: "a-b/..." before "a/..."). */
  static final List<String> KEYS = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    agent = Agent.start(Config.forTest(tmp)).await();
    client = WebClient.create(agent.vertx());
    await().atMost(Duration.ofSeconds(30)).until(() -> get("/readyz").statusCode() == 200);
    for (String ns : List.of("b", "a", "a-b")) {
      for (int i = 0; i < 8; i++) {
        post(ns, "t" + i);
        KEYS.add(ns + "/t" + i);
      }
    }
    KEYS.sort(null);
  }

  @AfterAll
  static void stop() {
    agent.stop().await();
  }

  static HttpResponse<Buffer> get(String path) {
    return client.get(agent.httpPort(), "127.0.0.1", path).timeout(10_000).send().await();
  }

  static void post(String ns, String name) {
    String task = "{\"metadata\":{\"name\":\"" + name + "\",\"namespace\":\"" + ns + "\"},"
        + "\"spec\":{\"delay\":\"24h\",\"target\":{\"compute\":{\"pi\":{\"digits\":10}}}}}";
    var r = client.post(agent.httpPort(), "127.0.0.1", "/api/v1/tasks").timeout(10_000)
        .putHeader("content-type", "application/json").sendBuffer(Buffer.buffer(task)).await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isIn(200, 201);
  }

  static void delete(String key) {
    var r = client.delete(agent.httpPort(), "127.0.0.1", "/api/v1/tasks/" + key).timeout(10_000).send().await();
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(204);
  }

  static JsonObject page(String query) {
    HttpResponse<Buffer> r = get("/api/v1/tasks" + query);
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    assertThat(r.getHeader("content-type")).startsWith("application/json");
    return r.bodyAsJsonObject();
  }

  static List<String> keys(JsonObject page) {
    List<String> out = new ArrayList<>();
    for (Object o : page.getJsonArray("items")) {
      JsonObject m = ((JsonObject) o).getJsonObject("metadata");
      out.add(m.getString("namespace") + "/" + m.getString("name"));
    }
    return out;
  }

  static String continueAfter(JsonObject page) {
    return "&continue=" + URLEncoder.encode(page.getJsonObject("metadata").getString("continue"), StandardCharsets.UTF_8);
  }

  @Test
  void pagesGoThroughTheWholeListInKeyOrderEachTaskOnce() {
    List<String> seen = new ArrayList<>();
    JsonObject p = page("?limit=5");
    int pages = 1;
    while (true) {
      List<String> k = keys(p);
      assertThat(k).hasSizeLessThanOrEqualTo(5);
      seen.addAll(k);
      JsonObject meta = p.getJsonObject("metadata");
      if (meta.getString("continue") == null) {
        assertThat(meta.containsKey("remainingItemCount")).isFalse();
        break;
      }
      assertThat(meta.getInteger("remainingItemCount")).isEqualTo(KEYS.size() - seen.size());
      p = page("?limit=5" + continueAfter(p));
      pages++;
    }
    assertThat(seen).containsExactlyElementsOf(KEYS);
    assertThat(pages).isEqualTo(5); // 24 tasks: 5 + 5 + 5 + 5 + 4
  }

  @Test
  void withoutLimitAPageIsTheDefaultHundredAndTheLastPageHasNoContinue() {
    JsonObject p = page("");
    assertThat(keys(p)).containsExactlyElementsOf(KEYS);
    assertThat(p.getJsonObject("metadata")).isEqualTo(new JsonObject());
    JsonObject exact = page("?limit=" + KEYS.size());
    assertThat(exact.getJsonObject("metadata").containsKey("continue")).isFalse();
  }

  @Test
  void tasksAddedOrRemovedBetweenPagesAreNeitherSkippedNorRepeated() {
    JsonObject first = page("?limit=10");
    List<String> k1 = keys(first);
    assertThat(k1).containsExactlyElementsOf(KEYS.subList(0, 10));
    // the page's last task goes away (its token must still work), one before it and one after it come
    String last = k1.get(9);
    delete(last);
    post("a", "t0-before");      // "a/t0-before" sorts inside the first page: already passed
    post("b", "t9-after");       // sorts after every page seen so far: must come
    try {
      List<String> rest = new ArrayList<>();
      JsonObject p = page("?limit=4" + continueAfter(first));
      while (true) {
        rest.addAll(keys(p));
        if (p.getJsonObject("metadata").getString("continue") == null) {
          break;
        }
        p = page("?limit=4" + continueAfter(p));
      }
      List<String> expected = new ArrayList<>(KEYS.subList(10, KEYS.size()));
      expected.add("b/t9-after");
      assertThat(rest).containsExactlyElementsOf(expected).doesNotContainAnyElementsOf(k1);
    } finally {
      delete("a/t0-before");
      delete("b/t9-after");
      post(last.substring(0, last.indexOf('/')), last.substring(last.indexOf('/') + 1));
    }
  }

  @Test
  void aTokenNamesAPlaceInTheListNotASnapshot() {
    // a token made for a key that sorts between tasks continues right after it
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString("a/t3x".getBytes(StandardCharsets.UTF_8));
    assertThat(keys(page("?limit=2&continue=" + token))).containsExactly("a/t4", "a/t5");
    // past the end: an empty last page
    String end = Base64.getUrlEncoder().withoutPadding().encodeToString("zz/z".getBytes(StandardCharsets.UTF_8));
    JsonObject p = page("?continue=" + end);
    assertThat(p.getJsonArray("items")).isEqualTo(new JsonArray());
    assertThat(p.getJsonObject("metadata")).isEqualTo(new JsonObject());
  }

  @Test
  void badLimitsAreRefusedNamingTheFieldAndTheValue() {
    for (String bad : List.of("0", "-1", "501", "abc", "1.5", "99999999999", "")) {
      HttpResponse<Buffer> r = get("/api/v1/tasks?limit=" + URLEncoder.encode(bad, StandardCharsets.UTF_8));
      assertThat(r.statusCode()).as("limit=%s: %s", bad, r.bodyAsString()).isEqualTo(400);
      JsonObject body = r.bodyAsJsonObject();
      assertThat(body.getString("error")).contains("limit", "1 to 500");
      assertThat(body.getJsonObject("details")).isEqualTo(new JsonObject().put("field", "limit").put("value", bad));
    }
    assertThat(keys(page("?limit=500"))).hasSize(KEYS.size());
    assertThat(keys(page("?limit=1"))).containsExactly(KEYS.get(0));
  }

  @Test
  void badContinueTokensAreRefusedNamingTheFieldAndTheValue() {
    String control = Base64.getUrlEncoder().withoutPadding().encodeToString("a/\u0001".getBytes(StandardCharsets.UTF_8));
    String notUtf8 = Base64.getUrlEncoder().withoutPadding().encodeToString(new byte[] {(byte) 0xff, '/', 'x'});
    for (String bad : List.of("not a token", "%%%", "x", control, notUtf8, "A".repeat(2000))) {
      HttpResponse<Buffer> r = get("/api/v1/tasks?continue=" + URLEncoder.encode(bad, StandardCharsets.UTF_8));
      assertThat(r.statusCode()).as("continue=%s: %s", bad, r.bodyAsString()).isEqualTo(400);
      JsonObject body = r.bodyAsJsonObject();
      assertThat(body.getString("error")).contains("continue");
      assertThat(body.getJsonObject("details").getString("field")).isEqualTo("continue");
      assertThat(bad).startsWith(body.getJsonObject("details").getString("value").replace("…", ""));
    }
    // an empty continue is the first page, as in Kubernetes
    assertThat(keys(page("?limit=1&continue="))).containsExactly(KEYS.get(0));
  }
}
