package dev.nodepulse.tasks.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.TasksVerticle;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tasks dir of 20,000 files: loaded in chunks with its progress in the health body, and, once loaded, the work
 * done follows what changes, not how many files there are (counted by the source itself: entries stat'ed, files
 * parsed).
 */
class DirectorySourceScaleTest {
  static final int FILES = 20_000;
  @TempDir Path tmp;
  Vertx vertx = Vertx.vertx();

  @AfterEach
  void tearDown() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  JsonObject health() throws Exception {
    return get(vertx.eventBus().<JsonObject>request(DirectorySource.HEALTH, new JsonObject())).body();
  }

  boolean known(String name) throws Exception {
    return get(vertx.eventBus().request(TasksVerticle.GET, new JsonObject().put("namespace", "default")
        .put("name", name)).map(m -> true).recover(err -> err instanceof ReplyException r && r.failureCode() == 404
            ? Future.succeededFuture(false) : Future.failedFuture(err)));
  }

  @Test
  void twentyThousandFilesAreLoadedWithProgressAndAnIdleDirectoryCostsNoWorkPerFile() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("tasks"));
    for (int i = 0; i < FILES; i++) {
      Files.writeString(dir.resolve(String.format("t%05d.yaml", i)), DirectorySourceTest.task("t" + i, "delay: 1h"));
    }
    Config config = Config.forTest(tmp.resolve("data"), "--tasks-dir", dir.toString());
    get(vertx.deployVerticle(new TasksVerticle(config)));
    DirectorySource source = new DirectorySource(config, 200); // the idle check five times a second
    get(vertx.deployVerticle(source));
    AtomicInteger progressSeen = new AtomicInteger(-1);
    await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(20)).until(() -> {
      JsonObject h = health();
      JsonObject loading = h.getJsonObject("loading");
      if (loading != null && loading.getInteger("of") == FILES && loading.getInteger("files") < FILES) {
        progressSeen.set(loading.getInteger("files"));
      }
      return h.getBoolean("ready");
    });
    assertThat(progressSeen.get()).as("a loading state with files < of was seen in the health body")
        .isBetween(0, FILES - 1);
    assertThat(health().getInteger("files")).isEqualTo(FILES);
    assertThat(health().containsKey("loading")).isFalse();
    assertThat(known("t0")).isTrue();
    assertThat(known("t19999")).isTrue();
    assertThat(source.parsed.get()).isEqualTo(FILES);

    // idle: ten checks of the directory stat and parse no file (a full rescan each would stat 20,000)
    long examined = source.examined.get();
    long parsed = source.parsed.get();
    long checks = source.checks.get();
    await().atMost(Duration.ofSeconds(60)).until(() -> source.checks.get() >= checks + 10);
    assertThat(source.examined.get() - examined).as("entries examined while idle (health %s)", health()).isZero();
    assertThat(source.parsed.get() - parsed).as("files parsed while idle (health %s)", health()).isZero();

    // one new file: that file is read, not the directory. Writing it is two watcher events (created, then
    // written); on a busy machine they come apart and the file is read at each, so once or twice
    Files.writeString(dir.resolve("new.yaml"), DirectorySourceTest.task("new", "delay: 1h"));
    await().atMost(Duration.ofSeconds(60)).until(() -> known("new"));
    assertThat(source.parsed.get() - parsed).as("files parsed for one new one (health %s)", health())
        .isBetween(1L, 2L);
    assertThat(source.examined.get() - examined).as("entries examined for one new file (health %s)", health())
        .isLessThan(10);
    // one deleted: withdrawn, nothing else read (the new file's second event may still come meanwhile)
    Files.delete(dir.resolve("t00007.yaml"));
    await().atMost(Duration.ofSeconds(60)).until(() -> !known("t7"));
    assertThat(source.parsed.get() - parsed).as("files parsed after a deletion (health %s)", health())
        .isBetween(1L, 2L);
    assertThat(source.examined.get() - examined).as("entries examined after a deletion (health %s)", health())
        .isLessThan(20);
    assertThat(health().getInteger("files")).isEqualTo(FILES);
  }
}
