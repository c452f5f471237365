package dev.nodepulse.kube;

import dev.nodepulse.config.Config;
import io.vertx.core.VerticleBase;
import java.time.Clock;
import java.time.Duration;
import java.util.List;

/**
 * Kubernetes mode's entry point. The agent touches this class only in {@code --mode kubernetes}, so a standalone
 * agent never loads a fabric8 class.
 */
public final class Kube {
  /** The health component (answers on {@code nodepulse.health.kubernetes}). */
  public static final String COMPONENT = "kubernetes";
  /** How often informers hand every object back. */
  static final Duration RESYNC = Duration.ofMinutes(5);

  private Kube() {}

  /**
   * The verticle of Kubernetes mode. The client is configured as kubectl is: inside a pod from its ServiceAccount,
   * outside from {@code KUBECONFIG} or {@code ~/.kube/config}; the Leases live in the pod's namespace (outside:
   * the kubeconfig context's namespace, else {@code default}).
   */
  public static VerticleBase verticle(Config config) {
    io.fabric8.kubernetes.client.Config client = io.fabric8.kubernetes.client.Config.autoConfigure(null);
    String ns = client.getNamespace() == null ? "default" : client.getNamespace();
    return new KubeVerticle(client, settings(config, ns), Clock.systemUTC(), List.of());
  }

  static KubeSettings settings(Config config, String leaseNamespace) {
    return new KubeSettings(config.nodeName(), leaseNamespace, config.leaseDuration(), config.namespaces(), RESYNC);
  }
}
