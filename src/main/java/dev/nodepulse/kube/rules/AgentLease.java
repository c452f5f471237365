package dev.nodepulse.kube.rules;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One agent's membership as read from its {@code coordination.k8s.io} Lease: the node it runs on, when it last wrote
 * the Lease, for how long a write holds while the agent holds a run, its node's labels (for {@code nodeSelector}),
 * and where its metrics listener answers peers ({@code podIp}, {@code metricsPort}; null when the Lease does not
 * say). The Lease exists while the agent is a member; it is renewed only while the agent holds a run.
 */
public record AgentLease(String node, Instant renewTime, Duration leaseDuration, Map<String, String> nodeLabels,
    String podIp, Integer metricsPort) {
  public AgentLease {
    Objects.requireNonNull(node, "node");
    nodeLabels = Map.copyOf(nodeLabels);
  }

  /** A Lease that names no peer address. */
  public AgentLease(String node, Instant renewTime, Duration leaseDuration, Map<String, String> nodeLabels) {
    this(node, renewTime, leaseDuration, nodeLabels, null, null);
  }

  /** Written less than one lease duration before {@code now} (a Lease never written is not). */
  public boolean liveAt(Instant now) {
    return renewTime != null && leaseDuration != null && now.isBefore(renewTime.plus(leaseDuration));
  }

  /** True when every entry of the selector is among the node's labels (an empty selector matches all). */
  public boolean matches(Map<String, String> selector) {
    return selector.entrySet().stream().allMatch(e -> e.getValue().equals(nodeLabels.get(e.getKey())));
  }
}
