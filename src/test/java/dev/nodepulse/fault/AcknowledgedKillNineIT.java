package dev.nodepulse.fault;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the REST API acknowledged survives a kill -9 right after the answer: several tasks posted at once
 * (each answered 201) are all there after a restart, and several deleted at once (each answered 204) are all gone.
 * The packaged agent in a child process; the kill comes as soon as the last answer is in.
 */
class AcknowledgedKillNineIT {
  private static final int ROUNDS = 3;
  private static final int AT_ONCE = 8;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir Path tmp;

  private static HttpRequest.Builder at(int port, String path) {
    return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(30));
  }

  private static String task(String name) {
    return new JsonObject().put("metadata", new JsonObject().put("name", name))
        .put("spec", new JsonObject().put("delay", "1h")
            .put("target", new JsonObject().put("compute", new JsonObject().put("pi", new JsonObject().put("digits", 10)))))
        .encode();
  }

  /** Sends all at once; the statuses in order, once every answer is in. */
  private static List<Integer> allAtOnce(List<HttpRequest> requests) {
    List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
    for (HttpRequest r : requests) {
      sent.add(HTTP.sendAsync(r, HttpResponse.BodyHandlers.ofString()));
    }
    return sent.stream().map(f -> f.join().statusCode()).toList();
  }

  private static int status(int port, String name) throws Exception {
    return HTTP.send(at(port, "/api/v1/tasks/default/" + name).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
  }

  @Test
  void everyAcknowledgedPostAndDeleteSurvivesAKillNineRightAfterItsAnswer() throws Exception {
    Path data = Files.createDirectories(tmp.resolve("data"));
    String[] args = {"--http-port", "0", "--data-dir", data.toString()};
    List<String> acknowledged = new ArrayList<>();
    for (int round = 0; round < ROUNDS; round++) {
      List<String> names = new ArrayList<>();
      try (AgentProcess agent = AgentProcess.start(0, args)) {
        List<HttpRequest> posts = new ArrayList<>();
        for (int i = 0; i < AT_ONCE; i++) {
          String name = "r" + round + "-t" + i;
          names.add(name);
          posts.add(at(agent.port, "/api/v1/tasks").header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString(task(name))).build());
        }
        assertThat(allAtOnce(posts)).as("every post answered").containsOnly(201);
        agent.kill9();
      }
      acknowledged.addAll(names);
      try (AgentProcess agent = AgentProcess.start(0, args)) {
        for (String name : acknowledged) {
          assertThat(status(agent.port, name)).as(name + ", answered 201 before the kill -9").isEqualTo(200);
        }
      }
    }
    // deletes: every task answered 204 stays gone after a kill -9 right after the answers; the others stay
    List<String> deleted = new ArrayList<>();
    for (int round = 0; round < ROUNDS; round++) {
      List<String> names = acknowledged.subList(round * AT_ONCE, (round + 1) * AT_ONCE);
      try (AgentProcess agent = AgentProcess.start(0, args)) {
        List<HttpRequest> deletes = names.stream()
            .map(n -> at(agent.port, "/api/v1/tasks/default/" + n).DELETE().build()).toList();
        assertThat(allAtOnce(deletes)).as("every delete answered").containsOnly(204);
        agent.kill9();
      }
      deleted.addAll(names);
      try (AgentProcess agent = AgentProcess.start(0, args)) {
        for (String name : acknowledged) {
          assertThat(status(agent.port, name)).as(name + (deleted.contains(name) ? ", answered 204 before the kill -9"
              : ", not deleted")).isEqualTo(deleted.contains(name) ? 404 : 200);
        }
      }
    }
  }
}
