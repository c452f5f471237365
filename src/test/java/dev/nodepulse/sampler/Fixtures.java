package dev.nodepulse.sampler;

import io.vertx.core.Future;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Fixture /proc trees under src/test/resources/proc, and a bounded wait on a Vert.x future. */
final class Fixtures {
  private Fixtures() {}

  static Path proc(String relative) {
    try {
      var url = Fixtures.class.getResource("/proc/" + relative);
      if (url == null) {
        throw new IllegalStateException("no fixture /proc/" + relative);
      }
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  static ProcStat stat(String caseAndSnapshot) {
    try {
      return ProcStat.read(proc(caseAndSnapshot));
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e);
    }
  }

  static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(20, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
