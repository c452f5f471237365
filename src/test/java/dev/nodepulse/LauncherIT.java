package dev.nodepulse;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The top-level {@code ./nodepulse} launcher: which java it picks, what it runs, what it says when there is none. */
class LauncherIT {
  private static final Path LAUNCHER = Path.of("nodepulse").toAbsolutePath();

  private record Result(int exit, String out, String err) {}

  private static Result run(Map<String, String> env, String... shellPrefix) throws Exception {
    List<String> cmd = shellPrefix.length == 0 ? List.of(LAUNCHER.toString(), "--version")
        : List.of("unshare", "--mount", "sh", "-c", String.join("; ", shellPrefix) + "; exec '" + LAUNCHER + "' --version");
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().clear();
    pb.environment().putAll(env);
    Path err = Files.createTempFile("launcher", ".err");
    pb.redirectError(err.toFile());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String stderr = Files.readString(err);
    Files.delete(err);
    return new Result(p.exitValue(), out, stderr);
  }

  @Test
  void runsTheJarWithTheImagesLeanOptionsOnTheJavaHomeItIsGiven() throws Exception {
    String javaHome = System.getProperty("java.home");
    Result r = run(Map.of("JAVA_HOME", javaHome, "PATH", "/usr/bin:/bin", "NODEPULSE_LAUNCHER", "print",
        "NODEPULSE_AOT", "off", "NODEPULSE_JAVA_OPTS", "-Xmx200m"));
    assertThat(r.exit()).as(r.err()).isZero();
    List<String> words = List.of(r.out().trim().split("\\s+"));
    assertThat(words.get(0)).isEqualTo(Path.of(javaHome, "bin", "java").toString());
    assertThat(words).containsSubsequence("-XX:+UseSerialGC", "-Xms8m", "-Xmx64m", "-XX:TieredStopAtLevel=1",
        "-Xmx200m", "-jar", LAUNCHER.resolveSibling("target").resolve("nodepulse.jar").toString(), "--version");
    if (Runtime.version().feature() >= 25) {
      assertThat(words).contains("-XX:+UseCompactObjectHeaders");
    }
    assertThat(words).noneMatch(w -> w.startsWith("-XX:AOTCache"));
  }

  @Test
  void saysWhatIsMissingWhenNoJava21IsFound() throws Exception {
    // every JDK of the usual folders hidden; only what PATH and JAVA_HOME name (here: nothing usable)
    Path fakeHome = Files.createTempDirectory("old-jdk");
    Files.createDirectories(fakeHome.resolve("bin"));
    Files.writeString(fakeHome.resolve("release"), "JAVA_VERSION=\"17.0.9\"\n");
    Path java = Files.writeString(fakeHome.resolve("bin/java"), "#!/bin/sh\nexit 0\n");
    java.toFile().setExecutable(true);
    Result r = run(Map.of("JAVA_HOME", fakeHome.toString(), "PATH", fakeHome.resolve("bin") + ":/usr/bin:/bin"),
        "mount -t tmpfs tmpfs /usr/lib/jvm", "mount -t tmpfs tmpfs /opt");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("no Java 21 or newer found", fakeHome + "/bin/java (JAVA_HOME): Java 17",
        "install a JDK 21+");
    assertThat(r.out()).isEmpty();
  }

  @Test
  void kubernetesModeStartsFromItsOwnCacheAndStandaloneFromTheLeanOne() throws Exception {
    // a copy of the launcher beside a jar and two caches newer than it (no training run): only the pick is asked
    Path dir = Files.createTempDirectory("launcher");
    Path launcher = Files.copy(LAUNCHER, dir.resolve("nodepulse"));
    Path target = Files.createDirectories(dir.resolve("target"));
    Files.writeString(target.resolve("nodepulse.jar"), "jar");
    for (String cache : List.of("nodepulse.aot", "nodepulse-kube.aot")) {
      Files.writeString(target.resolve(cache), "cache");
      target.resolve(cache).toFile().setLastModified(System.currentTimeMillis() + 60_000);
    }
    String javaHome = System.getProperty("java.home");
    Map<List<String>, String> picks = Map.of(
        List.of(), "nodepulse.aot",
        List.of("--mode", "kubernetes"), "nodepulse-kube.aot",
        List.of("--mode=kubernetes", "--node-name", "n1"), "nodepulse-kube.aot",
        List.of("--mode=standalone"), "nodepulse.aot",
        List.of("--node-name", "kubernetes"), "nodepulse.aot");
    for (Map.Entry<List<String>, String> pick : picks.entrySet()) {
      for (String modeEnv : List.of("", "kubernetes")) {
        List<String> cmd = new java.util.ArrayList<>(List.of(launcher.toString()));
        cmd.addAll(pick.getKey());
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(Map.of("JAVA_HOME", javaHome, "PATH", "/usr/bin:/bin", "NODEPULSE_LAUNCHER", "print"));
        if (!modeEnv.isEmpty()) {
          pb.environment().put("NODEPULSE_MODE", modeEnv);
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        boolean flagSays = pick.getKey().stream().anyMatch(a -> a.startsWith("--mode"));
        String expected = modeEnv.isEmpty() || flagSays ? pick.getValue() : "nodepulse-kube.aot";
        assertThat(out).as("%s with NODEPULSE_MODE=%s", pick.getKey(), modeEnv)
            .contains("-XX:AOTCache=" + target.resolve(expected) + " ");
      }
    }
  }
}
