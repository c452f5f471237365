package dev.nodepulse.web;

import dev.nodepulse.kube.wire.Problems;
import dev.nodepulse.util.Sha256;
import io.fabric8.kubernetes.api.model.authentication.TokenReview;
import io.fabric8.kubernetes.api.model.authentication.TokenReviewBuilder;
import io.fabric8.kubernetes.api.model.authentication.UserInfo;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReview;
import io.fabric8.kubernetes.api.model.authorization.v1.SubjectAccessReviewBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scrape authentication ({@code --metrics-auth kubernetes}), as kube-rbac-proxy does it without a
 * sidecar: the scrape's bearer token is checked with a TokenReview, and its user with a
 * SubjectAccessReview for {@code get} on the non-resource URL {@code /metrics}. No or an unknown token
 * is 401, a user without that right 403; then the metrics handler runs. Answers are cached briefly
 * (allowed {@link #ALLOWED_TTL}, refused {@link #REFUSED_TTL}) by the token's SHA-256, in a cache of at
 * most {@code maxEntries} (least recently used out first). The API server's own failures are 503 and
 * not cached.
 *
 * <p>Only {@code Agent} makes one, and only in that mode, so fabric8 is not loaded otherwise.
 */
public final class ScrapeAuth implements Handler<RoutingContext>, AutoCloseable {
  static final Duration ALLOWED_TTL = Duration.ofSeconds(30);
  static final Duration REFUSED_TTL = Duration.ofSeconds(5);
  static final int MAX_ENTRIES = 1024;
  static final Duration REVIEW_TIMEOUT = Duration.ofSeconds(5);
  static final String PATH = "/metrics";
  private static final Logger LOG = LoggerFactory.getLogger(ScrapeAuth.class);

  private enum Verdict { ALLOWED, UNAUTHENTICATED, FORBIDDEN }

  private record Cached(Future<Verdict> verdict, Instant expires) {}

  private final Vertx vertx;
  private final KubernetesClient client;
  private final Clock clock;
  private final int maxEntries;
  /** The non-resource URL whose {@code get} a token's user needs. */
  private final String path;
  /** Event-loop only: touched from the handler and from the completion of a review. */
  private final LinkedHashMap<String, Cached> cache;
  /** Event-loop only: a review failed and none has worked since. */
  private boolean reviewsFailing;

  ScrapeAuth(Vertx vertx, KubernetesClient client, Clock clock, int maxEntries) {
    this(vertx, client, clock, maxEntries, PATH);
  }

  ScrapeAuth(Vertx vertx, KubernetesClient client, Clock clock, int maxEntries, String path) {
    this.path = path;
    this.vertx = vertx;
    this.client = client;
    this.clock = clock;
    this.maxEntries = maxEntries;
    this.cache = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<String, Cached> eldest) {
        return size() > ScrapeAuth.this.maxEntries;
      }
    };
  }

  /**
   * Checks scrapes against the API server the agent's client configuration names (the pod's service account in
   * a cluster, else KUBECONFIG or ~/.kube/config), through a client of its own made by {@link #clientConfig}.
   */
  public static ScrapeAuth create(Vertx vertx) {
    return create(vertx, PATH, Config.autoConfigure(null));
  }

  /**
   * The same check for another non-resource URL (the peers' {@code /nodepulse/peer}), against the API server
   * {@code base} names.
   */
  public static ScrapeAuth create(Vertx vertx, String path, Config base) {
    return new ScrapeAuth(vertx, new KubernetesClientBuilder().withConfig(clientConfig(base)).build(),
        Clock.systemUTC(), MAX_ENTRIES, path);
  }

  /**
   * The client's settings for reviews: no retries of its own and {@link #REVIEW_TIMEOUT} to connect and to
   * answer. A review holds a worker thread until it ends, and the client's default retries (ten, with backoff)
   * made a scrape wait ~20 s while the API server was unreachable, longer than a scraper waits, with the
   * sampler's reads queued behind such reviews. A failed review is not cached: the next scrape asks again.
   */
  static Config clientConfig(Config base) {
    int ms = (int) REVIEW_TIMEOUT.toMillis();
    return new ConfigBuilder(base).withRequestRetryBackoffLimit(0).withConnectionTimeout(ms).withRequestTimeout(ms)
        .build();
  }

  @Override
  public void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader("authorization");
    String token = header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)
        ? "" : header.substring(7).strip();
    if (token.isEmpty()) {
      refuse(ctx, Verdict.UNAUTHENTICATED);
      return;
    }
    String key = Sha256.hex(token);
    Instant now = clock.instant();
    Cached entry = cache.get(key);
    if (entry == null || entry.expires.isBefore(now)) {
      Future<Verdict> verdict = vertx.executeBlocking(() -> review(token), false);
      entry = new Cached(verdict, now.plus(ALLOWED_TTL));
      cache.put(key, entry);
      Cached pending = entry;
      verdict.onComplete(done -> {
        if (done.failed() && !reviewsFailing) {
          LOG.warn("scrape authentication: the API server's review failed (logged once until one works again): {}",
              Problems.describe(done.cause()));
        } else if (done.succeeded() && reviewsFailing) {
          LOG.info("scrape authentication: the API server's reviews work again");
        }
        reviewsFailing = done.failed();
        if (cache.get(key) != pending) {
          return;
        }
        if (done.failed()) {
          cache.remove(key);
        } else if (done.result() != Verdict.ALLOWED) {
          cache.put(key, new Cached(pending.verdict, clock.instant().plus(REFUSED_TTL)));
        }
      });
    }
    entry.verdict.onComplete(done -> {
      if (done.failed()) {
        Errors.send(ctx, 503, "service unavailable", "the scrape's token could not be reviewed");
      } else if (done.result() == Verdict.ALLOWED) {
        ctx.next();
      } else {
        refuse(ctx, done.result());
      }
    });
  }

  /** Entries in the review cache now (never more than the bound). */
  int cacheSize() {
    return cache.size();
  }

  private Verdict review(String token) {
    TokenReview tr = client.authentication().v1().tokenReviews().create(new TokenReviewBuilder()
        .withNewSpec().withToken(token).endSpec().build());
    if (tr.getStatus() == null || !Boolean.TRUE.equals(tr.getStatus().getAuthenticated())
        || tr.getStatus().getUser() == null) {
      return Verdict.UNAUTHENTICATED;
    }
    UserInfo user = tr.getStatus().getUser();
    SubjectAccessReview sar = client.authorization().v1().subjectAccessReview().create(new SubjectAccessReviewBuilder()
        .withNewSpec()
        .withUser(user.getUsername())
        .withUid(user.getUid())
        .withGroups(user.getGroups() == null ? List.of() : user.getGroups())
        .withExtra(user.getExtra() == null ? Map.of() : user.getExtra())
        .withNewNonResourceAttributes().withPath(path).withVerb("get").endNonResourceAttributes()
        .endSpec()
        .build());
    return sar.getStatus() != null && Boolean.TRUE.equals(sar.getStatus().getAllowed())
        ? Verdict.ALLOWED : Verdict.FORBIDDEN;
  }

  private void refuse(RoutingContext ctx, Verdict verdict) {
    if (verdict == Verdict.UNAUTHENTICATED) {
      ctx.response().putHeader("www-authenticate", "Bearer realm=\"nodepulse\"");
      Errors.send(ctx, 401, "unauthorized", "a bearer token the API server accepts is needed for " + path);
    } else {
      Errors.send(ctx, 403, "forbidden", "the token's user may not get " + path);
    }
  }

  @Override
  public void close() {
    client.close();
  }
}
