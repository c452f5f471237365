package dev.nodepulse.kube;

import dev.nodepulse.kube.rules.AgentLease;
import dev.nodepulse.kube.wire.Identity;
import dev.nodepulse.kube.wire.KubeSettings;
import dev.nodepulse.kube.wire.Problems;
import dev.nodepulse.kube.wire.Reachability;
import dev.nodepulse.bus.AgentLeases;
import dev.nodepulse.bus.Listening;
import dev.nodepulse.config.Durations;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.VerticleBase;
import io.vertx.core.json.JsonObject;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's link to the API server: connects (retrying with backoff while the API server cannot be reached, at
 * start or later), writes this agent's Lease (its membership: written at start, again only while it holds a run or
 * when it changed or went missing, and deleted at stop), watches the other agents' Leases, then starts what needs
 * the cluster (the task sources). At rest it writes and reads nothing. Its state is the health component
 * {@code kubernetes}; the rest of the agent samples and serves meanwhile. All fabric8 calls block, so they run on worker threads.
 */
final class KubeVerticle extends VerticleBase {
  static final String HEALTH = "nodepulse.health.kubernetes";
  private static final Logger LOG = LoggerFactory.getLogger(KubeVerticle.class);
  static final Duration FIRST_BACKOFF = Duration.ofSeconds(1);
  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  private final Config clientConfig;
  private final KubeSettings settings;
  private final Clock clock;
  private final List<Function<KubernetesClient, CompletionStage<?>>> afterConnect;
  private final KubeLink link;
  private final Reachability reach;
  private TaskInformers informers;
  private KubernetesClient client;
  private LeaseHeartbeat heartbeat;
  private LeaseView leaseView;
  private ClaimLeases claimLeases;
  private Duration backoff = FIRST_BACKOFF;
  private boolean connected;
  private boolean synced;
  private Instant lastRenewAt;
  private String lastError;
  private String warning;
  /** Who the API server says this agent is (a SelfSubjectReview at connect), or null if it could not say. */
  private String identity;
  private long renewTimer = -1;
  private boolean renewing;
  private long sweepTimer = -1;

  KubeVerticle(Config clientConfig, KubeSettings settings, Clock clock,
      List<Function<KubernetesClient, CompletionStage<?>>> afterConnect) {
    this(clientConfig, settings, clock, afterConnect, null);
  }

  /** With {@code link}: fills it once connected and feeds the task pipeline from the cluster's task sources. */
  KubeVerticle(Config clientConfig, KubeSettings settings, Clock clock,
      List<Function<KubernetesClient, CompletionStage<?>>> afterConnect, KubeLink link) {
    this.clientConfig = clientConfig;
    this.settings = settings;
    this.clock = clock;
    this.afterConnect = List.copyOf(afterConnect);
    this.link = link;
    this.reach = link != null ? link.reach : new Reachability(clock);
  }

  @Override
  public Future<?> start() {
    clientConfig.setRequestRetryBackoffLimit(0); // this verticle retries, with its own backoff
    clientConfig.setConnectionTimeout(5_000);
    clientConfig.setRequestTimeout(10_000);
    client = new KubernetesClientBuilder().withConfig(clientConfig).build();
    heartbeat = new LeaseHeartbeat(client, settings, clock);
    vertx.eventBus().<JsonObject>localConsumer(Listening.ADDRESS,
        m -> heartbeat.metricsPort(Listening.fromJson(m.body()).metricsPort()));
    vertx.eventBus().<JsonObject>consumer(HEALTH, m -> m.reply(health()));
    vertx.eventBus().<JsonObject>localConsumer(AgentLeases.ADDRESS, m -> m.reply(new AgentLeases(leases().stream()
        .map(l -> new AgentLeases.Peer(l.node(), l.renewTime(), l.leaseDuration(), l.podIp(), l.metricsPort()))
        .toList()).toJson()));
    connect();
    return Future.succeededFuture();
  }

  private void connect() {
    vertx.executeBlocking(() -> {
      client.getKubernetesVersion(); // GET /version: reachable
      identity = Identity.of(client); // authenticated, and as whom
      String problem = heartbeat.readNodeLabels();
      heartbeat.renew();
      return problem;
    }, false).onSuccess(problem -> {
      connected = true;
      warning = problem;
      if (problem != null) {
        LOG.warn(problem);
      }
      renewed(clock.instant());
      LOG.info("connected to the API server as {}; lease {}/{} (renewed every {} while a run is held here)",
          identity == null ? "(unknown: SelfSubjectReview not answered)" : identity, settings.leaseNamespace(),
          settings.node(), Durations.format(settings.leaseDuration().dividedBy(3)));
      long period = Math.max(200, settings.leaseDuration().toMillis() / 3);
      renewTimer = vertx.setPeriodic(period, id -> tick());
      startWatching();
    }).onFailure(err -> {
      failed(err);
      reach.failed(err); // once per episode, not at every retry
      long delay = backoff.toMillis();
      backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
      vertx.setTimer(delay, id -> connect());
    });
  }

  /** The informers just started ({@code stages} complete with their first listings) and the task sources. */
  private record Watches(List<CompletionStage<?>> stages, CrdSource crds, ConfigMapSource maps) {}

  private void startWatching() {
    vertx.<Watches>executeBlocking(() -> {
      List<CompletionStage<?>> started = new ArrayList<>();
      leaseView = new LeaseView(client, settings, settings.resync());
      leaseView.failures(reach::informerFailed);
      started.add(leaseView.start());
      CrdSource crds = null;
      ConfigMapSource maps = null;
      if (link != null) {
        link.client = client;
        LeaseView members = leaseView;
        link.leases = () -> withSelf(members.leases());
        link.removeSilent = nodes -> vertx.executeBlocking(() -> members.removeSilent(nodes, clock.instant()), false);
        ClusterFeed feed = new ClusterFeed(vertx, link);
        claimLeases = new ClaimLeases(client, settings);
        claimLeases.failures(reach::informerFailed);
        claimLeases.listen(feed.claims());
        link.claimLeases = claimLeases;
        started.add(claimLeases.start());
        crds = new CrdSource(vertx, context, link);
        maps = new ConfigMapSource(vertx, context, link);
        informers = new TaskInformers(client, settings, TaskInformers.Listener.all(crds,
            new NodeSummaries(vertx, link), feed.tasks(), new FinishedTasks(vertx, context, link)),
            TaskInformers.Listener.all(maps, feed.configMaps()));
        informers.failures(reach::informerFailed);
        link.informers = informers;
        started.add(informers.start());
      }
      for (var f : afterConnect) {
        started.add(f.apply(client));
      }
      return new Watches(started, crds, maps);
    }, false).compose(w -> Future.all(w.stages().stream().map(s -> Future.fromCompletionStage(s, context)).toList())
        .map(w)).onSuccess(w -> { // every first listing is in: no worker thread waits for them
      if (w.crds() != null) {
        w.crds().synced();
        w.maps().synced();
      }
      synced = true;
      lastError = null;
      if (link != null && sweepTimer < 0) { // not at once: the sources may still be handing their objects over
        sweepTimer = vertx.setPeriodic(settings.resync().toMillis(), id -> sweep());
      }
    }).onFailure(err -> {
      failed(err);
      reach.failed(err);
      long delay = backoff.toMillis();
      backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
      vertx.executeBlocking(() -> {
        closeWatches();
        return null;
      }, false).onComplete(r -> vertx.setTimer(delay, id -> startWatching()));
    });
  }

  /**
   * Deletes ConfigMap tasks' claim Leases left behind (their task withdrawn while no agent deleted them): those not
   * written for a resync period, whose task no agent declares, each by the agent that speaks for it.
   */
  private void sweep() {
    ClaimLeases c = claimLeases;
    if (c == null || !synced) {
      return;
    }
    vertx.executeBlocking(() -> c.sweep(link.configMapTasks::containsKey, link::speaksFor, settings.resync(),
        clock.instant()), false).onSuccess(n -> {
          if (n > 0) {
            LOG.info("deleted {} claim Lease(s) of ConfigMap tasks that are gone", n);
          }
        }).onFailure(reach::failed);
  }

  /**
   * Every third of the lease duration: writes the Lease when it must (the API server was away: this looks whether
   * it is back; the Lease went missing, e.g. removed by a cascade that passed this agent over; the metrics port is
   * new; a run is held here, so the others see its holder live), else only the Events kept during an outage.
   */
  private void tick() {
    boolean write = reach.awaySince() != null || heartbeat.changed() || lastError != null
        || (synced && leaseView != null && leaseView.own() == null) || (link != null && synced && link.holdsRun());
    if (write) {
      renew();
    } else if (link != null && !link.events.isEmpty() && !renewing) {
      renewing = true;
      vertx.executeBlocking(() -> {
        Events.flush(link);
        return null;
      }, false).onComplete(ar -> renewing = false);
    }
  }

  private void renew() {
    if (renewing) {
      return; // one renewal at a time: two at once (a slow API server) would conflict on the Lease (a 409)
    }
    renewing = true;
    vertx.executeBlocking(() -> {
      Instant at = heartbeat.renew();
      if (link != null) {
        Events.flush(link); // the Events kept while the API server was away, a batch per renewal
      }
      return at;
    }, false).onComplete(ar -> renewing = false).onSuccess(this::renewed).onFailure(err -> {
      reach.failed(err);
      failed(err);
    });
  }

  private void renewed(Instant at) {
    reach.reached();
    lastRenewAt = at;
    lastError = null;
    backoff = FIRST_BACKOFF;
  }

  private void failed(Throwable err) {
    lastError = Problems.describe(err);
  }

  private void closeWatches() {
    if (claimLeases != null) {
      if (link != null) {
        link.claimLeases = null;
      }
      claimLeases.close();
      claimLeases = null;
    }
    if (leaseView != null) {
      leaseView.close();
      leaseView = null;
    }
    if (informers != null) {
      informers.close();
      informers = null;
    }
  }

  /** The other agents' Leases as last seen (empty before the first listing). */
  List<AgentLease> leases() {
    return leaseView == null ? List.of() : leaseView.leases();
  }

  /**
   * The members as seen, and this agent among them even while its own Lease is not in the cache (just written, or
   * removed by a cascade and about to be written again): its own decisions never miss it.
   */
  private List<AgentLease> withSelf(List<AgentLease> seen) {
    if (seen.stream().anyMatch(l -> l.node().equals(settings.node()))) {
      return seen;
    }
    List<AgentLease> all = new ArrayList<>(seen);
    all.add(heartbeat.self());
    return all;
  }

  JsonObject health() {
    Instant away = reach.awaySince();
    boolean cutOff = away != null && !clock.instant().isBefore(away.plus(settings.leaseDuration()));
    String state = !connected ? (lastError == null ? "starting" : "down")
        : cutOff ? "down" : away != null || lastError != null ? "degraded" : synced ? "up" : "starting";
    JsonObject h = new JsonObject()
        .put("state", state)
        .put("ready", connected && synced && !cutOff)
        .put("node", settings.node())
        .put("lease", settings.leaseNamespace() + "/" + settings.node())
        .put("namespaces", settings.namespaces().isEmpty() ? "all" : String.join(",", settings.namespaces()))
        .put("synced", synced);
    if (lastRenewAt != null) {
      h.put("lastRenewAt", lastRenewAt.toString());
    }
    if (lastError != null) {
      h.put("lastError", lastError);
    }
    if (warning != null) {
      h.put("warning", warning);
    }
    if (identity != null) {
      h.put("identity", identity);
    }
    return h;
  }

  @Override
  public Future<?> stop() {
    if (renewTimer >= 0) {
      vertx.cancelTimer(renewTimer);
    }
    if (sweepTimer >= 0) {
      vertx.cancelTimer(sweepTimer);
    }
    Promise<Void> done = Promise.promise();
    boolean leave = connected && reach.awaySince() == null;
    vertx.executeBlocking(() -> {
      closeWatches();
      if (leave) {
        heartbeat.leave(); // the others stop counting this agent at once
      }
      client.close();
      return null;
    }, false).onComplete(r -> done.complete());
    return done.future();
  }
}
