package dev.nodepulse.sampler;

import static dev.nodepulse.sampler.Bus.awaitSamples;
import static dev.nodepulse.sampler.Bus.health;
import static dev.nodepulse.sampler.Bus.history;
import static dev.nodepulse.sampler.Fixtures.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.config.Config;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** A broken data dir does not stop sampling: health says degraded and why, history comes from memory. */
@ExtendWith(VertxExtension.class)
class DegradedTest {

  @Test
  void garbage_in_history_db(Vertx vertx, @TempDir Path dir) throws Exception {
    String garbage = "this is not a database\n".repeat(200);
    Files.writeString(dir.resolve("history.db"), garbage);
    String id = await(vertx.deployVerticle(new SamplerVerticle(Config.forTest(dir, "--sample-interval", "100ms"))));
    awaitSamples(vertx, 3);

    JsonObject h = health(vertx);
    assertThat(h.getString("state")).isEqualTo("degraded");
    assertThat(h.getBoolean("ready")).isTrue();
    assertThat(h.getString("lastError")).contains("history.db").contains("not a database");
    assertThat(HistoryTest.points(history(vertx, 60_000))).hasSizeGreaterThanOrEqualTo(3);
    assertThat(Bus.ask(vertx, SamplerVerticle.LATEST, new JsonObject()).getJsonObject("cpu")).isNotNull();

    await(vertx.undeploy(id));
    assertThat(Files.readString(dir.resolve("history.db"))).as("the file is left as it was").isEqualTo(garbage);
  }

  @Test
  void a_plain_file_where_the_data_dir_should_be(Vertx vertx, @TempDir Path tmp) throws Exception {
    Path notADir = Files.writeString(tmp.resolve("data"), "oops");
    await(vertx.deployVerticle(new SamplerVerticle(Config.forTest(notADir, "--sample-interval", "100ms"))));
    awaitSamples(vertx, 3);

    JsonObject h = health(vertx);
    assertThat(h.getString("state")).isEqualTo("degraded");
    assertThat(h.getString("lastError")).contains(notADir.toString()).contains("not a directory");
    assertThat(h.getLong("historyPoints")).isGreaterThanOrEqualTo(3);
    assertThat(HistoryTest.points(history(vertx, 60_000))).hasSizeGreaterThanOrEqualTo(3);
  }

  @Test
  void history_db_that_cannot_be_opened(Vertx vertx, @TempDir Path dir) throws Exception {
    // as root a read-only directory is still writable; a directory named history.db cannot be opened either
    Files.createDirectory(dir.resolve("history.db"));
    await(vertx.deployVerticle(new SamplerVerticle(Config.forTest(dir, "--sample-interval", "100ms"))));
    awaitSamples(vertx, 2);
    JsonObject h = health(vertx);
    assertThat(h.getString("state")).isEqualTo("degraded");
    assertThat(h.getString("lastError")).contains("history.db");
    assertThat(HistoryTest.points(history(vertx, 60_000))).hasSizeGreaterThanOrEqualTo(2);
  }

  @Test
  void a_sampler_that_stopped_sampling_is_not_ready_until_it_samples_again(Vertx vertx, @TempDir Path dir)
      throws Exception {
    ShiftableClock clock = new ShiftableClock();
    await(vertx.deployVerticle(new SamplerVerticle(Config.forTest(dir, "--sample-interval", "1s"), clock)));
    awaitSamples(vertx, 1);
    assertThat(health(vertx).getBoolean("ready")).isTrue();

    // a minute passes without a sample (as when the sampler's thread is stuck): each poll moves the clock on, so
    // a sample taken between the move and the question only postpones the answer
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> {
      clock.shift(Duration.ofMinutes(1));
      return !health(vertx).getBoolean("ready");
    });
    JsonObject stalled = health(vertx);
    if (!stalled.getBoolean("ready")) { // a sample may have come in the meantime: then the recovery is shown below
      assertThat(stalled.getString("state")).isEqualTo("degraded");
      assertThat(stalled.getString("lastError")).contains("no sample for").contains("1000 ms expected");
    }

    // the next sample makes it ready again
    Awaitility.await().atMost(Duration.ofSeconds(30)).until(() -> health(vertx).getBoolean("ready"));
    assertThat(health(vertx).getString("state")).isEqualTo("up");
  }
}
