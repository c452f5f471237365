package dev.nodepulse.web;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.vertx.core.Vertx;
import java.time.Clock;

/**
 * For ClusterBench, which hosts many peers in one JVM: the peers' real check ({@link ScrapeAuth} on a non-resource
 * URL, TokenReview + SubjectAccessReview, its own 30 s cache per peer) over one shared API client, as
 * {@link ScrapeAuth#create(Vertx, String, Config)} configures it (an agent has one client of its own; a JVM of 200
 * agents' clients would measure the clients, not the peer path).
 */
public final class PeerAuthForBench {
  private PeerAuthForBench() {}

  /** One client for every peer's reviews, set up as an agent's review client is. */
  public static KubernetesClient client(Config base) {
    return new KubernetesClientBuilder().withConfig(ScrapeAuth.clientConfig(base)).build();
  }

  /** One peer's check of {@code path}, with a cache of its own. */
  public static ScrapeAuth peer(Vertx vertx, KubernetesClient shared, String path) {
    return new ScrapeAuth(vertx, shared, Clock.systemUTC(), ScrapeAuth.MAX_ENTRIES, path);
  }
}
