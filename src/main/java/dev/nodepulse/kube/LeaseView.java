package dev.nodepulse.kube;

import com.fasterxml.jackson.core.type.TypeReference;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The agents' Leases as seen through one informer (agent namespace, {@code nodepulse.dev/agent=true}). */
final class LeaseView implements AutoCloseable {
  private final SharedIndexInformer<Lease> informer;

  LeaseView(KubernetesClient client, KubeSettings settings, Duration resync) {
    informer = client.leases().inNamespace(settings.leaseNamespace()).withLabel(LeaseHeartbeat.AGENT_LABEL, "true")
        .runnableInformer(resync.toMillis());
  }

  /** Starts the informer; the future completes once the first listing is in. */
  java.util.concurrent.CompletionStage<Void> start() {
    return informer.start();
  }

  /** Every agent Lease known now, live or not. */
  List<AgentLease> leases() {
    return informer.getStore().list().stream().map(LeaseView::agentLease).flatMap(Optional::stream).toList();
  }

  static Optional<AgentLease> agentLease(Lease l) {
    if (l.getSpec() == null || l.getSpec().getHolderIdentity() == null) {
      return Optional.empty();
    }
    Instant renewed = l.getSpec().getRenewTime() == null ? null : l.getSpec().getRenewTime().toInstant();
    Duration duration = l.getSpec().getLeaseDurationSeconds() == null ? null
        : Duration.ofSeconds(l.getSpec().getLeaseDurationSeconds());
    Map<String, String> labels = Map.of();
    String json = l.getMetadata().getAnnotations() == null ? null
        : l.getMetadata().getAnnotations().get(LeaseHeartbeat.NODE_LABELS);
    if (json != null) {
      try {
        labels = Serialization.unmarshal(json, new TypeReference<Map<String, String>>() {});
      } catch (RuntimeException e) {
        labels = Map.of();
      }
    }
    Map<String, String> annotations = l.getMetadata().getAnnotations() == null ? Map.of()
        : l.getMetadata().getAnnotations();
    return Optional.of(new AgentLease(l.getSpec().getHolderIdentity(), renewed, duration, labels,
        annotations.get(LeaseHeartbeat.POD_IP), port(annotations.get(LeaseHeartbeat.METRICS_PORT))));
  }

  /** The metrics port annotation; null when absent or not a port (such a peer is not dialled). */
  static Integer port(String s) {
    if (s == null || !s.matches("\\d{1,5}")) {
      return null;
    }
    int port = Integer.parseInt(s);
    return port >= 1 && port <= 65535 ? port : null;
  }

  @Override
  public void close() {
    informer.close();
  }

  /** Who hears of the informer's failures (instead of fabric8's own log lines). */
  void failures(io.fabric8.kubernetes.client.informers.ExceptionHandler handler) {
    informer.exceptionHandler(handler);
  }
}
