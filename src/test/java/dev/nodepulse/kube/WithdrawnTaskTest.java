package dev.nodepulse.kube;

import dev.nodepulse.kube.wire.KubeSettings;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.tasks.model.TaskSpec;
import dev.nodepulse.tasks.run.Claims;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the claims keep per task is forgotten when its source withdraws it: the maps do not only grow. */
class WithdrawnTaskTest {
  static final Instant WRITTEN = Instant.parse("2026-11-30T04:00:00Z");

  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void aWithdrawnConfigMapEntryLeavesNothingInTheClaims() throws Exception {
    KubeLink link = new KubeLink(new KubeSettings("node-a", "nodepulse", Duration.ofSeconds(15), List.of(),
        Duration.ofMinutes(1), "127.0.0.1"), Clock.fixed(WRITTEN.plusSeconds(6), ZoneOffset.UTC));
    // never reached: with no agent Lease known the claim only polls the caches
    link.client = new KubernetesClientBuilder().withConfig(new ConfigBuilder().withMasterUrl("https://127.0.0.1:1")
        .build()).build();
    KubeClaims claims = new KubeClaims(vertx, link);
    ConfigMapSource source = new ConfigMapSource(vertx, vertx.getOrCreateContext(), link);
    ConfigMap cm = new ConfigMapBuilder().withNewMetadata().withNamespace("shop").withName("jobs")
        .withCreationTimestamp(WRITTEN.toString()).endMetadata()
        .withData(Map.of("warm", "delay: 5s\ntarget: {compute: {pi: {digits: 10}}}\n")).build();
    source.upsert(cm);
    Instant localDue = WRITTEN.plusMillis(5_400);
    claims.claim(new Claims.Request("shop", "jobs.warm", ConfigMapSource.origin("shop", "jobs", "warm"), 1,
        TaskSpec.Nodes.ONE, localDue, "node-a", null));
    assertThat(claims.canonicalOf("shop/jobs.warm", localDue)).isEqualTo(WRITTEN.plusSeconds(5));

    source.delete(cm);
    assertThat(link.configMapTasks).isEmpty();
    assertThat(claims.canonicalOf("shop/jobs.warm", localDue)).isNull();
  }
}
