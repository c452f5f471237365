package dev.nodepulse.kube;

import dev.nodepulse.kube.rules.AgentLease;
import dev.nodepulse.kube.wire.KubeSettings;
import dev.nodepulse.kube.wire.Problems;
import com.fasterxml.jackson.core.type.TypeReference;
import io.fabric8.kubernetes.api.model.DeleteOptions;
import io.fabric8.kubernetes.api.model.Preconditions;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agents' Leases, the members of the cluster, as seen through one informer (agent namespace,
 * {@code nodepulse.dev/agent=true}). A Lease changes only when its agent starts, stops or holds a run, so the
 * informer is quiet while the cluster is at rest.
 */
final class LeaseView implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LeaseView.class);
  private final KubernetesClient client;
  private final KubeSettings settings;
  private final SharedIndexInformer<Lease> informer;

  LeaseView(KubernetesClient client, KubeSettings settings, Duration resync) {
    this.client = client;
    this.settings = settings;
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

  /** This agent's own Lease as last seen, or null (not written yet, or deleted). */
  Lease own() {
    return informer.getStore().getByKey(settings.leaseNamespace() + "/" + settings.node());
  }

  /**
   * Deletes the Leases of {@code nodes}, members a claim cascade passed over: those not live at {@code now} (an agent
   * holding a run renews its Lease and is kept), each on the condition that it is still the one seen (uid and
   * resourceVersion). An agent still running that loses its Lease so writes it again. Blocking; returns how many.
   */
  int removeSilent(List<String> nodes, Instant now) {
    int removed = 0;
    for (String node : nodes) {
      Lease l = informer.getStore().getByKey(settings.leaseNamespace() + "/" + node);
      if (node.equals(settings.node()) || l == null || agentLease(l).map(a -> a.liveAt(now)).orElse(true)) {
        continue;
      }
      DeleteOptions options = new DeleteOptions();
      options.setPreconditions(new Preconditions(l.getMetadata().getResourceVersion(), l.getMetadata().getUid()));
      try {
        client.raw("/apis/coordination.k8s.io/v1/namespaces/" + settings.leaseNamespace() + "/leases/" + node,
            "DELETE", options);
        removed++;
        LOG.info("agent {} let its turn to claim a run pass and its Lease is not renewed: removed from the members "
            + "(it writes its Lease again if it still runs)", node);
      } catch (KubernetesClientException e) {
        LOG.debug("Lease of {} not removed: {}", node, Problems.describe(e)); // changed, gone, or no answer
      }
    }
    return removed;
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
