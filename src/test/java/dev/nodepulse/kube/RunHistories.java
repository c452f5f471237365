package dev.nodepulse.kube;

import dev.nodepulse.Agent;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.WebClient;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;

/**
 * The runs of one task whose target answers each request with its number ({@code request-N}), gathered from the
 * run histories of every agent (each keeps its last 20 runs, so read while the task runs): request number -> the due
 * time its run belongs to, as every agent counts it ({@code canonical} of the run's local due time).
 */
final class RunHistories {
  final Map<Integer, String> ran = new ConcurrentHashMap<>();
  /** Every run's due time, once per run seen: a due time run twice is in it twice. */
  final List<String> dueTimes = new CopyOnWriteArrayList<>();
  private final WebClient web;
  private final List<Agent> agents;
  private final String taskKey;
  private final UnaryOperator<Instant> canonical;

  RunHistories(WebClient web, List<Agent> agents, String taskKey, UnaryOperator<Instant> canonical) {
    this.web = web;
    this.agents = agents;
    this.taskKey = taskKey;
    this.canonical = canonical;
  }

  /** Reads every agent's run history once (an agent that does not answer is read next time). */
  void read() {
    for (Agent a : agents) {
      try {
        var reply = web.get(a.httpPort(), "127.0.0.1", "/api/v1/tasks/" + taskKey + "/runs").send().await();
        if (reply.statusCode() != 200) {
          continue;
        }
        for (Object o : reply.bodyAsJsonObject().getJsonArray("items")) {
          JsonObject run = (JsonObject) o;
          String result = run.getString("result");
          if (result != null && result.startsWith("request-")) {
            String due = canonical.apply(Instant.parse(run.getString("dueAt"))).toString();
            if (ran.putIfAbsent(Integer.parseInt(result.substring("request-".length())), due) == null) {
              dueTimes.add(due);
            }
          }
        }
      } catch (RuntimeException notNow) {
        // read again at the next poll
      }
    }
  }
}
