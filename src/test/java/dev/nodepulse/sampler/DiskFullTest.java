package dev.nodepulse.sampler;

import static dev.nodepulse.sampler.Bus.awaitSamples;
import static dev.nodepulse.sampler.Bus.health;
import static dev.nodepulse.sampler.Fixtures.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.nodepulse.config.Config;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The history store on a real, small file system that fills up and then has space again. */
@ExtendWith(VertxExtension.class)
class DiskFullTest {
  @TempDir Path tmp;
  private Path mount;
  private final ListAppender<ILoggingEvent> logs = new ListAppender<>();
  private final Logger samplerLog = (Logger) LoggerFactory.getLogger(History.class);

  /** A 2 MiB tmpfs of the test's own, or the test is skipped saying why (mounting needs root). */
  private Path smallFileSystem() throws Exception {
    mount = Files.createDirectories(tmp.resolve("small"));
    Process p = new ProcessBuilder("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", mount.toString())
        .redirectErrorStream(true).start();
    boolean done = p.waitFor(30, TimeUnit.SECONDS);
    String out = new String(p.getInputStream().readAllBytes()).strip();
    if (!done || p.exitValue() != 0) {
      mount = null;
      Assumptions.abort("cannot mount a small tmpfs to fill (needs root or CAP_SYS_ADMIN): " + out);
    }
    return mount;
  }

  @AfterEach
  void unmount() throws Exception {
    samplerLog.detachAppender(logs);
    if (mount != null) {
      new ProcessBuilder("umount", "-l", mount.toString()).start().waitFor(30, TimeUnit.SECONDS);
    }
  }

  private static void fill(Path filler) throws IOException {
    byte[] chunk = new byte[16 * 1024];
    try (OutputStream out = Files.newOutputStream(filler)) {
      while (true) {
        out.write(chunk);
        out.flush();
      }
    } catch (IOException full) {
      if (!String.valueOf(full.getMessage()).contains("No space left")) {
        throw full;
      }
    }
  }

  private static long storedSince(Path db, long t) throws Exception {
    try (var c = DriverManager.getConnection("jdbc:sqlite:" + db);
        var ps = c.prepareStatement("SELECT count(*) FROM points WHERE t >= ? AND cpu IS NOT NULL")) {
      ps.setLong(1, t);
      try (var rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Test
  void aFullDiskIsNamedLoggedOnceAndTheStoreRecoversWithWhatItHeld(Vertx vertx) throws Exception {
    Path data = smallFileSystem();
    Path db = data.resolve(HistoryStore.FILE);
    logs.start();
    samplerLog.addAppender(logs);
    await(vertx.deployVerticle(new SamplerVerticle(Config.forTest(data, "--sample-interval", "100ms"))));
    awaitSamples(vertx, 3);
    // a first flush reaches the file while there is space
    await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(db) && storedSince(db, 0) > 0);

    fill(data.resolve("filler"));
    long fullFrom = System.currentTimeMillis();
    await().atMost(Duration.ofSeconds(30)).until(() -> String.valueOf(health(vertx).getString("lastError")).contains("disk full"));
    assertThat(health(vertx).getString("lastError")).contains(db.toString());
    // several flushes fail (one every 5 s) while the disk stays full: it is logged once, not per flush
    await().during(Duration.ofSeconds(11)).atMost(Duration.ofSeconds(40))
        .until(() -> String.valueOf(health(vertx).getString("lastError")).contains("disk full"));
    assertThat(logs.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN)
        && e.getFormattedMessage().contains("disk full"))).hasSize(1);
    assertThat(logs.list).noneMatch(e -> e.getFormattedMessage().contains("no transaction is active"));

    Files.delete(data.resolve("filler"));
    await().atMost(Duration.ofSeconds(30)).until(() -> health(vertx).getValue("lastError") == null);
    // the points sampled while the disk was full were kept and are on disk now
    long writtenWhileFull = storedSince(db, fullFrom);
    assertThat(writtenWhileFull).isGreaterThanOrEqualTo(50);
    assertThat(health(vertx).getString("state")).isEqualTo("up");
    assertThat(logs.list).anyMatch(e -> e.getFormattedMessage().contains("has space again"));
  }
}
