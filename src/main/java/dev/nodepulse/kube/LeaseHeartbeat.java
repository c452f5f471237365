package dev.nodepulse.kube;

import dev.nodepulse.kube.rules.AgentLease;
import dev.nodepulse.kube.wire.KubeSettings;
import dev.nodepulse.kube.wire.Problems;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * This agent's membership: a {@code coordination.k8s.io/v1} Lease named after the node, in the agent's namespace,
 * labelled {@code nodepulse.dev/agent=true}, holding the node's labels (for {@code nodeSelector}) in an annotation,
 * and, once the metrics listener listens, the pod's IP and that port (where peers reach this agent).
 * Written when the agent connects and then only when it must (docs/kubernetes.md: "Which agent runs a run"), so a
 * cluster at rest costs the API server nothing per agent. {@link #renew()} is blocking: call it off the event loop.
 */
final class LeaseHeartbeat {
  static final String AGENT_LABEL = "nodepulse.dev/agent";
  static final String NODE_LABELS = "nodepulse.dev/node-labels";
  static final String POD_IP = "nodepulse.dev/pod-ip";
  static final String METRICS_PORT = "nodepulse.dev/metrics-port";

  private final KubernetesClient client;
  private final KubeSettings settings;
  private final Clock clock;
  private volatile Map<String, String> nodeLabels = Map.of();
  private volatile Integer metricsPort;
  /** The metrics port the last write carried. */
  private volatile Integer writtenPort;

  LeaseHeartbeat(KubernetesClient client, KubeSettings settings, Clock clock) {
    this.client = client;
    this.settings = settings;
    this.clock = clock;
  }

  /** Reads the node's labels once (needs {@code nodes get}); without them only {@code kubernetes.io/hostname}. */
  String readNodeLabels() {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("kubernetes.io/hostname", settings.node());
    String problem = null;
    try {
      var node = client.nodes().withName(settings.node()).get();
      if (node == null) {
        problem = "node " + settings.node() + " not found: nodeSelector sees only kubernetes.io/hostname";
      } else if (node.getMetadata().getLabels() != null) {
        labels.putAll(node.getMetadata().getLabels());
      }
    } catch (KubernetesClientException e) {
      problem = "cannot read node " + settings.node() + " (" + Problems.describe(e) + "): nodeSelector sees only "
          + "kubernetes.io/hostname";
    }
    nodeLabels = Map.copyOf(labels);
    return problem;
  }

  /** This agent as a member, from what it writes: for its own decisions while its Lease is not in the cache yet. */
  AgentLease self() {
    return new AgentLease(settings.node(), null, settings.leaseDuration(), nodeLabels, settings.podIp(), metricsPort);
  }

  /** The metrics listener's actual port, written from the next renewal on (null: no metrics listener). */
  void metricsPort(Integer port) {
    metricsPort = port;
  }

  /** True when the Lease does not say what it should (the metrics port became known after it was written). */
  boolean changed() {
    return !java.util.Objects.equals(metricsPort, writtenPort);
  }

  /** Deletes the Lease (at stop), on the condition that it is this agent's; what the API server answers is ignored. */
  void leave() {
    try {
      Lease current = client.leases().inNamespace(settings.leaseNamespace()).withName(settings.node()).get();
      if (current != null && settings.node().equals(current.getSpec().getHolderIdentity())) {
        var options = new io.fabric8.kubernetes.api.model.DeleteOptions();
        options.setPreconditions(new io.fabric8.kubernetes.api.model.Preconditions(
            current.getMetadata().getResourceVersion(), current.getMetadata().getUid()));
        client.raw("/apis/coordination.k8s.io/v1/namespaces/" + settings.leaseNamespace() + "/leases/"
            + settings.node(), "DELETE", options);
      }
    } catch (KubernetesClientException e) {
      // the API server did not answer, or the Lease changed: the others pass this agent over in their cascades
    }
  }

  /** Creates or renews the Lease; returns the renewal time written. Throws what the API server answered. */
  Instant renew() {
    Instant now = clock.instant();
    Integer port = metricsPort;
    var leases = client.leases().inNamespace(settings.leaseNamespace());
    Lease current = leases.withName(settings.node()).get();
    if (current == null) {
      Lease fresh = new LeaseBuilder()
          .withNewMetadata().withName(settings.node()).withNamespace(settings.leaseNamespace())
          .addToLabels(AGENT_LABEL, "true").addToLabels("app.kubernetes.io/name", "nodepulse")
          .addToAnnotations(annotations(port)).endMetadata()
          .withNewSpec().withHolderIdentity(settings.node())
          .withLeaseDurationSeconds((int) Math.max(1, settings.leaseDuration().toSeconds()))
          .withAcquireTime(micro(now)).withRenewTime(micro(now)).withLeaseTransitions(0).endSpec()
          .build();
      leases.resource(fresh).create();
      writtenPort = port;
      return now;
    }
    current.getSpec().setRenewTime(micro(now));
    current.getSpec().setHolderIdentity(settings.node());
    current.getSpec().setLeaseDurationSeconds((int) Math.max(1, settings.leaseDuration().toSeconds()));
    if (current.getMetadata().getAnnotations() == null) {
      current.getMetadata().setAnnotations(new LinkedHashMap<>());
    }
    current.getMetadata().getAnnotations().remove(METRICS_PORT);
    current.getMetadata().getAnnotations().putAll(annotations(port));
    leases.resource(current).update(); // conditional on the resourceVersion just read
    writtenPort = port;
    return now;
  }

  private Map<String, String> annotations(Integer port) {
    Map<String, String> out = new LinkedHashMap<>();
    out.put(NODE_LABELS, Serialization.asJson(nodeLabels));
    out.put(POD_IP, settings.podIp());
    if (port != null) {
      out.put(METRICS_PORT, Integer.toString(port));
    }
    return out;
  }

  static ZonedDateTime micro(Instant t) {
    return ZonedDateTime.ofInstant(t.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
  }
}
