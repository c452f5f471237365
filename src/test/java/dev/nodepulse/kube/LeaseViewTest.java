package dev.nodepulse.kube;

import dev.nodepulse.kube.rules.AgentLease;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What an agent's Lease says about it, peers' addresses included (the annotations {@link LeaseHeartbeat} writes). */
class LeaseViewTest {
  private static Lease lease(Map<String, String> annotations) {
    return new LeaseBuilder().withNewMetadata().withName("node-a").withAnnotations(annotations).endMetadata()
        .withNewSpec().withHolderIdentity("node-a").withLeaseDurationSeconds(15)
        .withRenewTime(LeaseHeartbeat.micro(Instant.parse("2026-12-04T20:00:00Z"))).endSpec().build();
  }

  @Test
  void thePeerAddressIsReadFromTheAnnotations() {
    AgentLease a = LeaseView.agentLease(lease(Map.of("nodepulse.dev/pod-ip", "10.244.1.7",
        "nodepulse.dev/metrics-port", "9101"))).orElseThrow();
    assertThat(a.podIp()).isEqualTo("10.244.1.7");
    assertThat(a.metricsPort()).isEqualTo(9101);
  }

  @Test
  void aLeaseWithoutOrWithABadPortNamesNoPort() {
    AgentLease none = LeaseView.agentLease(lease(Map.of())).orElseThrow();
    assertThat(none.podIp()).isNull();
    assertThat(none.metricsPort()).isNull();
    for (String bad : new String[] {"0", "65536", "91o1", "-1", "123456"}) {
      assertThat(LeaseView.agentLease(lease(Map.of("nodepulse.dev/metrics-port", bad))).orElseThrow().metricsPort())
          .as(bad).isNull();
    }
  }
}
