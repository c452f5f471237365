package dev.nodepulse.sampler;

import static dev.nodepulse.sampler.Bus.awaitSamples;
import static dev.nodepulse.sampler.Bus.health;
import static dev.nodepulse.sampler.Fixtures.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.config.Config;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Sampling has a thread of its own: with every thread of the shared worker pool held (as API-server calls with
 * 10 s timeouts, task runs or database writes hold them in Kubernetes mode), samples keep coming each interval.
 */
class SamplingThreadTest {
  private final Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(4)); // as Agent
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void close() {
    release.countDown();
    await(vertx.close());
  }

  @Test
  void samples_keep_coming_while_every_shared_worker_thread_is_blocked(@TempDir Path dir) throws Exception {
    ShiftableClock clock = new ShiftableClock();
    await(vertx.deployVerticle(new SamplerVerticle(Config.forTest(dir, "--procfs", Fixtures.proc("known/t1").toString(),
        "--sample-interval", "100ms"), clock)));
    awaitSamples(vertx, 2);

    CountDownLatch held = new CountDownLatch(4);
    List<Future<Object>> blockers = new ArrayList<>();
    for (int i = 0; i < 8; i++) { // twice the pool: the rest queue, as requests pile up behind a silent API server
      blockers.add(vertx.executeBlocking(() -> {
        held.countDown();
        return release.await(2, TimeUnit.MINUTES);
      }, false));
    }
    assertThat(held.await(20, TimeUnit.SECONDS)).as("all four shared worker threads are held").isTrue();

    long before = health(vertx).getLong("samples");
    // 10 more at 100 ms: 1 s of sampling, given 30 s on a busy machine
    Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
        .until(() -> health(vertx).getLong("samples") >= before + 10);
    assertThat(health(vertx).getString("lastError")).isNull();
    assertThat(blockers).allSatisfy(f -> assertThat(f.isComplete()).as("the shared pool is still held").isFalse());
  }
}
