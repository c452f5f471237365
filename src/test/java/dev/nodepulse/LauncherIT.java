package dev.nodepulse;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The top-level {@code ./nodepulse} launcher: which java it picks, what it runs, what it says when there is none. */
class LauncherIT {
  private static final Path LAUNCHER = Path.of("nodepulse").toAbsolutePath();
  private static final Path ARGFILE = LAUNCHER.resolveSibling("src/main/jvm/jvm.options");

  private record Result(int exit, String out, String err) {}

  private static Result run(Map<String, String> env, String... shellPrefix) throws Exception {
    List<String> cmd = shellPrefix.length == 0 ? List.of(LAUNCHER.toString(), "--version")
        : List.of("unshare", "--mount", "sh", "-c", String.join("; ", shellPrefix) + "; exec '" + LAUNCHER + "' --version");
    return run(new ProcessBuilder(cmd), env);
  }

  /** Runs {@code pb} with only {@code env}, up to its end. */
  private static Result run(ProcessBuilder pb, Map<String, String> env) throws Exception {
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
    // the JVM options are the one file the image and the chart use too (DockerfileIT, ChartRenderTest)
    assertThat(words).containsSubsequence("@" + ARGFILE, "-Xmx200m", "-jar",
        LAUNCHER.resolveSibling("target").resolve("nodepulse.jar").toString(), "--version");
    assertThat(words.stream().filter(w -> w.startsWith("-X") && !w.equals("-Xmx200m")))
        .as("no JVM option of its own but the JDK 25 ones").allMatch(w -> w.equals("-XX:+UseCompactObjectHeaders"));
    assertThat(Files.readAllLines(ARGFILE)).contains("-XX:+UseSerialGC", "-Xms8m", "-Xmx64m", "-XX:TieredStopAtLevel=1",
        "-XX:+ExitOnOutOfMemoryError");
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
    copyJvmDir(dir);
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

  /**
   * An agent never lives on broken: a JVM started with the launcher's own options (its java and argument file,
   * cut before {@code -jar}) whose heap runs out ends, exit code 3, so what supervises it starts a fresh one.
   */
  @Test
  void aJvmOnTheLaunchersOptionsEndsWhenItsHeapRunsOut() throws Exception {
    Result r = run(Map.of("JAVA_HOME", System.getProperty("java.home"), "PATH", "/usr/bin:/bin",
        "NODEPULSE_LAUNCHER", "print", "NODEPULSE_AOT", "off"));
    assertThat(r.exit()).as(r.err()).isZero();
    List<String> words = List.of(r.out().trim().split("\\s+"));
    List<String> command = new ArrayList<>(words.subList(0, words.indexOf("-jar")));
    assertThat(command).contains("@" + ARGFILE);
    command.addAll(HeapExhaustion.program());
    HeapExhaustion.assertTheJvmExitsOnTheError(new ProcessBuilder(command));
  }

  /**
   * ./test.sh (and .ci/run, which runs it) finds a JDK 21+ as the launcher does and says which before anything
   * slow: here with only a Java 17 on PATH and no JAVA_HOME, and a JDK in /usr/lib/jvm (this JVM's, bound
   * there in a private mount namespace). The copies of the scripts run beside a setup step and a Maven that
   * only say they ran, so the order and the JDK Maven is given are seen.
   */
  @Test
  void theTestCommandFindsAJdkBesideAJava17OnThePathAndSaysSoBeforeTheSetup() throws Exception {
    Path dir = testCommandCopy();
    Path java17 = fakeJava17();
    Path jdk = Path.of(System.getProperty("java.home")).toRealPath();
    Path hold = Files.createDirectories(dir.resolve("jdk-hold"));
    Result r = runIn(dir, List.of(".ci/run", "-Dit.test=SomeIT"), Map.of("PATH", java17.resolve("bin") + ":/usr/bin:/bin"),
        "mount --bind '" + jdk + "' '" + hold + "'", "mount -t tmpfs tmpfs /usr/lib/jvm", "mount -t tmpfs tmpfs /opt",
        "mkdir /usr/lib/jvm/jdk-under-test", "mount --bind '" + hold + "' /usr/lib/jvm/jdk-under-test");
    assertThat(r.exit()).as(r.err()).isZero();
    String said = "[test] Java " + Runtime.version().feature() + ": JAVA_HOME=/usr/lib/jvm/jdk-under-test";
    assertThat(r.err()).contains(said, "[setup] ran");
    assertThat(r.err().indexOf(said)).as("the JDK is named before the setup runs").isLessThan(r.err().indexOf("[setup] ran"));
    assertThat(r.out()).contains("mvnw with JAVA_HOME=/usr/lib/jvm/jdk-under-test java=/usr/lib/jvm/jdk-under-test/bin/java"
        + " args=-B verify -Dit.test=SomeIT");
  }

  /** No JDK 21+ anywhere: ./test.sh stops at once, saying what it found, before the setup and Maven. */
  @Test
  void theTestCommandStopsBeforeTheSetupWhenNoJdk21IsFound() throws Exception {
    Path dir = testCommandCopy();
    Path java17 = fakeJava17();
    Result r = runIn(dir, List.of("./test.sh"), Map.of("PATH", java17.resolve("bin") + ":/usr/bin:/bin"),
        "mount -t tmpfs tmpfs /usr/lib/jvm", "mount -t tmpfs tmpfs /opt");
    assertThat(r.exit()).isEqualTo(1);
    assertThat(r.err()).contains("test.sh: no Java 21 or newer found with a JDK (javac)", java17 + "/bin/java (PATH): Java 17",
        "install a JDK 21+").doesNotContain("[setup] ran");
    assertThat(r.out()).doesNotContain("mvnw");
  }

  /** A copy of test.sh, .ci/run and src/main/jvm, with a setup step and a Maven that only say they ran. */
  private static Path testCommandCopy() throws Exception {
    Path dir = Files.createTempDirectory("test-command");
    Files.createDirectories(dir.resolve(".ci"));
    Files.copy(LAUNCHER.resolveSibling("test.sh"), dir.resolve("test.sh"));
    Files.copy(LAUNCHER.resolveSibling(".ci/run"), dir.resolve(".ci/run"));
    copyJvmDir(dir);
    executable(dir.resolve(".ci/setup"), "#!/bin/sh\necho '[setup] ran' >&2\necho 'export FROM_SETUP=1'\n");
    executable(dir.resolve("mvnw"), "#!/bin/sh\necho \"mvnw with JAVA_HOME=$JAVA_HOME java=$(command -v java) args=$*\"\n");
    return dir;
  }

  /** A Java 17 home (a release file and a java that runs): what the machine's default java is here. */
  private static Path fakeJava17() throws Exception {
    Path home = Files.createTempDirectory("jdk-17");
    Files.createDirectories(home.resolve("bin"));
    Files.writeString(home.resolve("release"), "JAVA_VERSION=\"17.0.9\"\n");
    executable(home.resolve("bin/java"), "#!/bin/sh\nexit 0\n");
    executable(home.resolve("bin/javac"), "#!/bin/sh\nexit 0\n");
    return home;
  }

  private static void executable(Path file, String script) throws Exception {
    Files.writeString(file, script);
    assertThat(file.toFile().setExecutable(true)).isTrue();
  }

  private static void copyJvmDir(Path dir) throws Exception {
    Path jvm = Files.createDirectories(dir.resolve("src/main/jvm"));
    try (var files = Files.list(LAUNCHER.resolveSibling("src/main/jvm"))) {
      for (Path f : files.toList()) {
        Files.copy(f, jvm.resolve(f.getFileName()));
      }
    }
  }

  /** Runs {@code command} in {@code dir} with only {@code env}, after {@code mounts} in a private mount namespace. */
  private static Result runIn(Path dir, List<String> command, Map<String, String> env, String... mounts) throws Exception {
    return run(new ProcessBuilder("unshare", "--mount", "sh", "-c",
        "set -e; " + String.join("; ", mounts) + "; exec " + String.join(" ", command)).directory(dir.toFile()), env);
  }
}
