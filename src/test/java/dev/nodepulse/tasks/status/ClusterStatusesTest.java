package dev.nodepulse.tasks.status;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.tasks.model.ClusterStatus;
import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.TaskReader;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

/** A task's cluster status merged into what this agent shows ({@link ClusterStatuses}). */
class ClusterStatusesTest {
  static DelayedTask task(String uid) throws Exception {
    return TaskReader.read("""
        metadata: {name: t, namespace: default%s}
        spec:
          delay: 1s
          target: {http: {url: "http://127.0.0.1:1/"}}
        """.formatted(uid == null ? "" : ", uid: " + uid), TaskReader.Format.YAML);
  }

  static final JsonObject RAN_ELSEWHERE = new JsonObject().put("phase", "Succeeded").put("runs", 1)
      .put("claimedBy", "node-a").put("lastRun", new JsonObject().put("node", "node-a").put("outcome", "SUCCEEDED"));

  @Test
  void theClusterStatusIsShownWithThisAgentsOwnBesideIt() throws Exception {
    ClusterStatuses c = new ClusterStatuses("node-b");
    c.put(new ClusterStatus("default/t", "u-1", RAN_ELSEWHERE));
    JsonObject st = c.json(task("u-1")).getJsonObject("status");
    assertThat(st.getString("phase")).isEqualTo("Succeeded");
    assertThat(st.getLong("runs")).isEqualTo(1L);
    assertThat(st.getLong("attempts")).as("a contract field the cluster had not written").isZero();
    assertThat(st.getJsonArray("conditions")).isEmpty();
    assertThat(st.getJsonObject("lastRun").getString("node")).isEqualTo("node-a");
    JsonObject local = st.getJsonObject("local");
    assertThat(local.getString("node")).isEqualTo("node-b");
    assertThat(local.getString("phase")).isEqualTo("Pending");
    assertThat(local.getLong("runs")).isZero();
    assertThat(RAN_ELSEWHERE.containsKey("local")).as("what was told is not changed").isFalse();
  }

  @Test
  void anotherObjectOfTheSameNameOrNoClusterStatusLeavesThisAgentsOwn() throws Exception {
    ClusterStatuses c = new ClusterStatuses("node-b");
    assertThat(c.json(task("u-1")).getJsonObject("status").getString("phase")).isEqualTo("Pending");
    c.put(new ClusterStatus("default/t", "u-old", RAN_ELSEWHERE));
    assertThat(c.json(task("u-1")).getJsonObject("status").containsKey("local")).as("another uid").isFalse();
    assertThat(c.json(task(null)).getJsonObject("status").containsKey("local")).as("a file task").isFalse();
    c.put(new ClusterStatus("default/t", "u-1", RAN_ELSEWHERE));
    c.put(new ClusterStatus("default/t", "u-1", null));
    assertThat(c.json(task("u-1")).getJsonObject("status").getString("phase")).as("gone from the cluster")
        .isEqualTo("Pending");
  }

  @Test
  void aConfigMapTasksStatusHasNoUid() throws Exception {
    ClusterStatuses c = new ClusterStatuses("node-b");
    c.put(new ClusterStatus("default/t", null, RAN_ELSEWHERE));
    assertThat(c.json(task(null)).getJsonObject("status").getString("phase")).isEqualTo("Succeeded");
  }
}
