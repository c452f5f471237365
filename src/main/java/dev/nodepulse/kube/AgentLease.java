package dev.nodepulse.kube;

import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.SortedSet;

/**
 * One agent's heartbeat as read from its {@code coordination.k8s.io} Lease: the node it runs on, when it last
 * renewed, for how long a renewal holds, its node's labels (for {@code nodeSelector}), and where its metrics
 * listener answers peers ({@code podIp}, {@code metricsPort}; null when the Lease does not say).
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

  /** Live at {@code now}: renewed less than one lease duration ago (a lease never renewed is not live). */
  public boolean liveAt(Instant now) {
    return renewTime != null && leaseDuration != null && now.isBefore(renewTime.plus(leaseDuration));
  }

  /** When it expires unless renewed; null for a lease never renewed. */
  public Instant expiresAt() {
    return renewTime == null || leaseDuration == null ? null : renewTime.plus(leaseDuration);
  }

  /** True when every entry of the selector is among the node's labels (an empty selector matches all). */
  public boolean matches(Map<String, String> selector) {
    return selector.entrySet().stream().allMatch(e -> e.getValue().equals(nodeLabels.get(e.getKey())));
  }

  /** The live view: nodes whose lease is live at {@code now} and whose labels match {@code selector}. */
  public static SortedSet<String> liveNodes(Collection<AgentLease> leases, Instant now, Map<String, String> selector) {
    SortedSet<String> out = new TreeSet<>();
    for (AgentLease l : leases) {
      if (l.liveAt(now) && l.matches(selector)) {
        out.add(l.node());
      }
    }
    return out;
  }
}
