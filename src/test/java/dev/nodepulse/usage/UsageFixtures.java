package dev.nodepulse.usage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;

/** Fixture trees under src/test/resources (cgroup/<case>/<snapshot>, proc/<case>). */
public final class UsageFixtures {
  static final String A = "1f3a2b4c-0000-4000-8000-00000000000a";
  static final String B = "1f3a2b4c-0000-4000-8000-00000000000b";
  static final String C = "1f3a2b4c-0000-4000-8000-00000000000c";
  static final String D = "1f3a2b4c-0000-4000-8000-00000000000d";

  private UsageFixtures() {}

  static Path resource(String relative) {
    try {
      var url = UsageFixtures.class.getResource("/" + relative);
      if (url == null) {
        throw new IllegalStateException("no fixture " + relative);
      }
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Copies a fixture tree into {@code to} (replacing what is there), so a test can change it between samples. */
  public static void copy(String relative, Path to) {
    copy(relative, to, path -> path);
  }

  /** The same, with each relative path renamed (e.g. a fixture pod's uid to one an API server gave). */
  public static void copy(String relative, Path to, java.util.function.UnaryOperator<String> rename) {
    Path from = resource(relative);
    try {
      if (Files.exists(to)) {
        try (Stream<Path> old = Files.walk(to)) {
          old.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
      try (Stream<Path> all = Files.walk(from)) {
        for (Path p : (Iterable<Path>) all::iterator) {
          Path target = to.resolve(rename.apply(from.relativize(p).toString()));
          if (Files.isDirectory(p)) {
            Files.createDirectories(target);
          } else {
            Files.copy(p, target, StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
