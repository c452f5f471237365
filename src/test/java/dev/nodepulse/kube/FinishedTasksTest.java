package dev.nodepulse.kube;

import dev.nodepulse.kube.wire.Wire;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.kube.crd.DelayedTaskResource;
import java.time.Instant;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * When a DelayedTask is finished for spec.ttlAfterFinished, read from the cluster's status (a table on a fixed clock,
 * now 12:00:10): phase Succeeded or Failed, no run planned, no retry to come; nodes: all on every node it lists.
 */
class FinishedTasksTest {
  static final Instant NOW = Instant.parse("2026-12-04T12:00:10Z");

  static DelayedTaskResource task(String spec, String status) {
    return Wire.JSON.unmarshal("""
        {"apiVersion": "nodepulse.dev/v1alpha1", "kind": "DelayedTask",
         "metadata": {"name": "t", "namespace": "default", "uid": "u-1", "generation": 1},
         "spec": {%s, "target": {"http": {"url": "http://127.0.0.1:1/"}}},
         "status": %s}""".formatted(spec, status), DelayedTaskResource.class);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      "succeeded, ttl passed    | \"delay\": \"1s\", \"ttlAfterFinished\": \"5s\" | {\"phase\": \"Succeeded\", \"attempts\": 1, \"lastRun\": LR(SUCCEEDED,12:00:01)} | 2026-12-04T12:00:10Z",
      "succeeded, ttl to come   | \"delay\": \"1s\", \"ttlAfterFinished\": \"1m\" | {\"phase\": \"Succeeded\", \"attempts\": 1, \"lastRun\": LR(SUCCEEDED,12:00:01)} | 2026-12-04T12:01:01Z",
      "no ttl                   | \"delay\": \"1s\"                               | {\"phase\": \"Succeeded\", \"attempts\": 1, \"lastRun\": LR(SUCCEEDED,12:00:01)} | -",
      "failed, retry to come    | \"delay\": \"1s\", \"ttlAfterFinished\": \"0s\", \"retry\": {\"limit\": 2} | {\"phase\": \"Failed\", \"attempts\": 2, \"lastRun\": LR(FAILED,12:00:01)} | -",
      "failed, retries done     | \"delay\": \"1s\", \"ttlAfterFinished\": \"0s\", \"retry\": {\"limit\": 2} | {\"phase\": \"Failed\", \"attempts\": 3, \"lastRun\": LR(FAILED,12:00:01)} | 2026-12-04T12:00:10Z",
      "denied is not retried    | \"delay\": \"1s\", \"ttlAfterFinished\": \"0s\", \"retry\": {\"limit\": 2} | {\"phase\": \"Failed\", \"attempts\": 1, \"lastRun\": LR(DENIED,12:00:01)} | 2026-12-04T12:00:10Z",
      "running                  | \"delay\": \"1s\", \"ttlAfterFinished\": \"0s\" | {\"phase\": \"Running\", \"attempts\": 1, \"lastRun\": LR(SUCCEEDED,12:00:01)} | -",
      "a run planned            | \"delay\": \"1s\", \"ttlAfterFinished\": \"0s\" | {\"phase\": \"Succeeded\", \"nextRunAt\": \"2026-12-04T12:05:00Z\", \"attempts\": 1, \"lastRun\": LR(SUCCEEDED,12:00:01)} | -",
      "nodes all, one running   | \"delay\": \"1s\", \"ttlAfterFinished\": \"0s\", \"nodes\": \"all\" | {\"phase\": \"Running\", \"nodes\": [{\"node\": \"a\", \"phase\": \"Succeeded\", \"attempts\": 1, \"lastRun\": LR(SUCCEEDED,12:00:01)}, {\"node\": \"b\", \"phase\": \"Running\"}]} | -",
      "nodes all, all finished  | \"delay\": \"1s\", \"ttlAfterFinished\": \"5s\", \"nodes\": \"all\" | {\"phase\": \"Failed\", \"nodes\": [{\"node\": \"a\", \"phase\": \"Succeeded\", \"attempts\": 1, \"lastRun\": LR(SUCCEEDED,12:00:01)}, {\"node\": \"b\", \"phase\": \"Failed\", \"attempts\": 1, \"lastRun\": LR(FAILED,12:00:04)}]} | 2026-12-04T12:00:10Z",
      "nodes all, ttl to come   | \"delay\": \"1s\", \"ttlAfterFinished\": \"9s\", \"nodes\": \"all\" | {\"phase\": \"Failed\", \"nodes\": [{\"node\": \"a\", \"phase\": \"Succeeded\", \"attempts\": 1, \"lastRun\": LR(SUCCEEDED,12:00:01)}, {\"node\": \"b\", \"phase\": \"Failed\", \"attempts\": 1, \"lastRun\": LR(FAILED,12:00:04)}]} | 2026-12-04T12:00:13Z"})
  void expiresAt(String name, String spec, String status, Instant expected) {
    String st = status.replaceAll("LR\\((\\w+),([0-9:]+)\\)", "{\"dueAt\": \"2026-12-04T12:00:00Z\", "
        + "\"finishedAt\": \"2026-12-04T$2Z\", \"outcome\": \"$1\"}");
    assertThat(FinishedTasks.expiresAt(task(spec, st), NOW)).isEqualTo(expected);
  }
}
