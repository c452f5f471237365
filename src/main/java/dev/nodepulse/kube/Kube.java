package dev.nodepulse.kube;

import dev.nodepulse.kube.wire.KubeCredentials;
import dev.nodepulse.kube.wire.KubeSettings;
import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.Plugins;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.time.Duration;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Supplier;

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
   * the kubeconfig context's namespace, else {@code default}). The kubeconfig user's credentials are taken as
   * kubectl takes them ({@link KubeCredentials}); IllegalArgumentException names what is not supported.
   */
  public static Mode mode(Config config, Vertx vertx) {
    io.fabric8.kubernetes.client.Config client = io.fabric8.kubernetes.client.Config.autoConfigure(null);
    KubeCredentials.complete(client);
    String ns = client.getNamespace() == null ? "default" : client.getNamespace();
    return new Mode(vertx, client, settings(config, ns));
  }

  /** Kubernetes mode for one agent: the task pipeline's plugins and the verticle that links them to the cluster. */
  public static final class Mode {
    private final VerticleBase verticle;
    private final Plugins plugins;
    private final Supplier<String> peerToken;

    Mode(Vertx vertx, io.fabric8.kubernetes.client.Config client, KubeSettings settings) {
      KubeLink link = new KubeLink(settings, Clock.systemUTC());
      KubeClaims claims = new KubeClaims(vertx, link);
      plugins = Plugins.standalone().withClaims(claims).withSecrets(new KubeSecrets(vertx, link))
          .withSinks(List.of(new StatusWriter(vertx, link, claims)));
      verticle = new KubeVerticle(client, settings, Clock.systemUTC(),
          List.of(new PodNames(vertx, settings.node(), settings.resync())), link);
      peerToken = Kube.peerToken(client);
    }

    /** Claims by Leases, Secrets from the API server, the status subresource and Events as a sink. */
    public Plugins plugins() {
      return plugins;
    }

    /**
     * The bearer token this agent shows its peers: its ServiceAccount's, the pod's projected token file read again
     * each minute as it rotates (outside a pod: the kubeconfig user's token, or its tokenFile); null without one.
     */
    public Supplier<String> peerToken() {
      return peerToken;
    }

    /** Deploy after the task pipeline. */
    public VerticleBase verticle() {
      return verticle;
    }
  }

  static Supplier<String> peerToken(io.fabric8.kubernetes.client.Config client) {
    if (client.getOauthTokenProvider() != null) {
      return client.getOauthTokenProvider()::getToken;
    }
    Path file = Path.of(System.getProperty(io.fabric8.kubernetes.client.Config.KUBERNETES_AUTH_SERVICEACCOUNT_TOKEN_FILE_SYSTEM_PROPERTY,
        io.fabric8.kubernetes.client.Config.KUBERNETES_SERVICE_ACCOUNT_TOKEN_PATH));
    if (System.getenv("KUBERNETES_SERVICE_HOST") != null && Files.isReadable(file)) {
      return new KubeCredentials.TokenFile(file, Clock.systemUTC())::getToken;
    }
    String fixed = client.getOauthToken() != null && !client.getOauthToken().isEmpty() ? client.getOauthToken()
        : client.getAutoOAuthToken();
    return () -> fixed;
  }

  static KubeSettings settings(Config config, String leaseNamespace) {
    return new KubeSettings(config.nodeName(), leaseNamespace, config.leaseDuration(), config.namespaces(), RESYNC,
        config.podIp());
  }
}
