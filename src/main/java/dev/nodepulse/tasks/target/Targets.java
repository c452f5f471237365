package dev.nodepulse.tasks.target;

import dev.nodepulse.bus.Listening;
import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.model.Progress;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.RunResult.Outcome;
import dev.nodepulse.tasks.model.Target;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one attempt against any target type: http, tcp (both through the destination policy, which learns the
 * agent's own listening ports from {@link Listening}), pipe
 * (inside the pipe directory) and compute (pi, capped). Every attempt is bounded by its timeout and can be
 * cancelled; its result is never a failed future. Concurrency limits and retries are the caller's.
 *
 * <p>Timeouts when a target gives none: each target type's {@code DEFAULT_TIMEOUT} (http 10s, tcp and pipe 5s,
 * as the task reader fills in); compute is bounded by {@code --max-compute-time}.
 */
public final class Targets {
  private static final Logger LOG = LoggerFactory.getLogger(Targets.class);

  private final Vertx vertx;
  private final HttpClient httpClient;
  private final NetClient netClient;
  private final ExecutorService threads;
  private final HttpTarget http;
  private final TcpTarget tcp;
  private final PipeTarget pipe;
  private final ComputeTarget compute;
  private final MessageConsumer<JsonObject> listening;

  /**
   * Refuses options the targets cannot use, before anything is opened.
   *
   * @throws IllegalArgumentException naming the flag when a CIDR of {@code --destination-allow} or
   *     {@code --destination-deny} is bad
   */
  public static void check(Config config) {
    new DestinationPolicy(config.destinationAllow(), config.destinationDeny());
  }

  /** @throws IllegalArgumentException when a CIDR of {@code --destination-allow} or {@code --destination-deny} is bad */
  public Targets(Vertx vertx, Config config) {
    DestinationPolicy policy = new DestinationPolicy(config.destinationAllow(), config.destinationDeny());
    policy.listeners(new DestinationPolicy.Self(ownPorts(config.httpPort(), config.metricsPort()), config.nodeName()));
    // port 0 picks a free port: the web concern says which once it listens
    this.listening = vertx.eventBus().<JsonObject>localConsumer(Listening.ADDRESS, m -> {
      Listening ports = Listening.fromJson(m.body());
      policy.listeners(new DestinationPolicy.Self(ownPorts(ports.httpPort(), ports.metricsPort()), config.nodeName()));
    });
    this.vertx = vertx;
    this.httpClient = vertx.createHttpClient(new HttpClientOptions().setVerifyHost(true));
    this.netClient = vertx.createNetClient(new NetClientOptions());
    this.threads = Executors.newThreadPerTaskExecutor(daemonThreads());
    this.http = new HttpTarget(vertx, httpClient, policy, HttpTarget.defaultTls());
    this.tcp = new TcpTarget(vertx, netClient, policy);
    this.pipe = new PipeTarget(config.pipeDir(), threads);
    this.compute = new ComputeTarget(config.maxPiDigits(), config.maxComputeTime(), threads);
  }

  /**
   * Starts one attempt. {@code headers} are the http target's headers, already resolved to text; the
   * target's own timeout (or the compute caps) bound the attempt. {@code onProgress} is called on the
   * caller's Vert.x context.
   */
  public Execution start(Target target, Map<String, String> headers, Consumer<Progress> onProgress) {
    java.util.Objects.requireNonNull(target, "target");
    Context context = vertx.getOrCreateContext();
    Attempt attempt = new Attempt(vertx, context);
    context.runOnContext(v -> {
      try {
        switch (target) {
          case Target.Http h -> http.run(attempt, h, headers == null ? Map.of() : headers);
          case Target.Tcp t -> tcp.run(attempt, t);
          case Target.Pipe p -> pipe.run(attempt, p);
          case Target.Compute c -> compute.run(attempt, c, onProgress == null ? ignored -> {} : onProgress);
        }
      } catch (RuntimeException e) {
        LOG.warn("{} attempt failed to start", target.type(), e);
        attempt.finish(RunResult.failure(Outcome.FAILED, target.type() + " attempt failed: " + HttpTarget.describe(e)));
      }
    });
    return attempt;
  }

  /** Closes the clients and stops the pipe and compute threads (running attempts end as they may). */
  public void close() {
    listening.unregister();
    threads.shutdownNow();
    httpClient.close();
    netClient.close();
  }

  private static java.util.Set<Integer> ownPorts(int httpPort, Integer metricsPort) {
    java.util.Set<Integer> ports = new java.util.HashSet<>();
    if (httpPort > 0) {
      ports.add(httpPort);
    }
    if (metricsPort != null && metricsPort > 0) {
      ports.add(metricsPort);
    }
    return ports;
  }

  private static ThreadFactory daemonThreads() {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "nodepulse-target-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
