package dev.nodepulse.kube.wire;

import java.time.Duration;
import java.util.List;

/**
 * What the Kubernetes side of an agent needs from its configuration.
 *
 * @param node this agent's node name (its Lease's name)
 * @param leaseNamespace where the agents' Leases live (the agent's own namespace)
 * @param leaseDuration how long a renewal holds; renewed every third of it
 * @param namespaces namespaces to watch for tasks; empty for all
 * @param resync how often the informers hand every object back (a safety net for missed events)
 * @param podIp this pod's IP, written on the Lease with the metrics port so peers can reach this agent
 */
public record KubeSettings(String node, String leaseNamespace, Duration leaseDuration, List<String> namespaces,
    Duration resync, String podIp) {
  public KubeSettings {
    namespaces = List.copyOf(namespaces);
  }
}
