package dev.nodepulse;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * No container engine runs here, so the image is checked by what can run: the Dockerfile's own build
 * step that makes the AOT cache (run as root, as {@code docker build} runs it, on the image's paths),
 * then its ENTRYPOINT, ENV and USER, as that user, in a private mount namespace where the root, /opt
 * and /var/lib are read-only and only the data volume and /tmp are writable (as the chart and the
 * README's {@code docker run} mount them).
 */
class DockerfileIT {
  private static final String JAR = "/opt/nodepulse/nodepulse.jar";
  private static final String AOT = "/opt/nodepulse/nodepulse.aot";
  private static final String KUBE_AOT = "/opt/nodepulse/nodepulse-kube.aot";
  private static final String ARGFILE = "/opt/nodepulse/jvm.options";

  @Test
  void theImagesBuildStepAndCommandLineRunAsNonRootOnAReadOnlyRootWithTheAotCache(@TempDir Path tmp) throws Exception {
    String docker = Files.readString(Path.of("Dockerfile")).replaceAll("\\\\\\n\\s*", " ");
    String finalStage = docker.substring(docker.lastIndexOf("\nFROM "));
    assertThat(docker).containsPattern("(?m)^FROM eclipse-temurin:25-jdk AS build$");
    assertThat(finalStage).startsWith("\nFROM eclipse-temurin:25-jre\n")
        .containsPattern("(?m)^STOPSIGNAL SIGTERM$")
        .contains("org.opencontainers.image.title=", "org.opencontainers.image.version=");
    List<String> entrypoint = jsonArray(last(finalStage, "(?m)^ENTRYPOINT\\s+(\\[.*])$"));
    String[] user = last(finalStage, "(?m)^USER\\s+(\\S+)$").split(":");
    assertThat(Integer.parseInt(user[0])).as("USER is a numeric non-root uid").isPositive();
    assertThat(Integer.parseInt(user[1])).as("USER has a numeric gid").isPositive();
    List<String> env = new ArrayList<>();
    Matcher m = Pattern.compile("(?m)^ENV\\s+(.+)$").matcher(finalStage);
    while (m.find()) {
      env.addAll(List.of(m.group(1).trim().split("\\s+")));
    }
    assertThat(env).contains("NODEPULSE_DATA_DIR=/var/lib/nodepulse");

    // the image's JVM options are the launcher's (what the README's command and the benchmark use): the one
    // argument file, copied into the image, and the launcher's options for JDK 25
    String launcher = Files.readString(Path.of("nodepulse"));
    String argfile = last(launcher, "(?m)^argfile=\"\\$here/(\\S+)\"$");
    assertThat(last(finalStage, "(?m)^COPY\\s+(\\S+)\\s+" + Pattern.quote(ARGFILE) + "$"))
        .as("the image's argument file is the launcher's").isEqualTo(argfile);
    assertThat(entrypoint.get(0)).isEqualTo("java");
    assertThat(entrypoint).containsSubsequence("-XX:AOTCache=" + AOT, "-Djava.io.tmpdir=/tmp", "-jar", JAR);
    List<String> jvmOptions = entrypoint.subList(1, entrypoint.indexOf("-XX:AOTCache=" + AOT));
    List<String> expected = new ArrayList<>(List.of("@" + ARGFILE));
    expected.addAll(List.of(last(launcher, "(?ms)^JDK25_OPTS=\\((.*?)\\)").trim().split("\\s+")));
    assertThat(jvmOptions).isEqualTo(expected);

    // the build steps that make the two AOT caches use those same options (else the JVM refuses a cache)
    List<String> aotSteps = new ArrayList<>();
    Matcher steps = Pattern.compile("(?m)^RUN\\s+(java .*-XX:AOTCacheOutput=.*)$").matcher(finalStage);
    while (steps.find()) {
      aotSteps.add(steps.group(1).replaceAll("\\s+", " "));
    }
    assertThat(aotSteps).hasSize(2);
    assertThat(aotSteps.get(0)).contains(String.join(" ", jvmOptions) + " -XX:AOTCacheOutput=" + AOT + " -cp " + JAR
        + " dev.nodepulse.AotTraining ");
    assertThat(aotSteps.get(1)).contains(String.join(" ", jvmOptions) + " -XX:AOTCacheOutput=" + KUBE_AOT + " -cp "
        + JAR + " dev.nodepulse.AotTraining kubernetes ");
    String aotStep = String.join("; ", aotSteps);

    // the image's paths, kept in @TempDir and bind-mounted over /opt and /var/lib in private namespaces
    Path opt = Files.createDirectories(tmp.resolve("opt/nodepulse"));
    Path varLib = Files.createDirectories(tmp.resolve("varlib"));
    Path volume = Files.createDirectories(tmp.resolve("volume"));
    for (Path p : List.of(tmp.resolve("opt"), opt, varLib)) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Path jar = Path.of(System.getProperty("nodepulse.jar", "target/nodepulse.jar")).toAbsolutePath();
    Files.copy(jar, opt.resolve("nodepulse.jar"));
    Files.setPosixFilePermissions(opt.resolve("nodepulse.jar"), PosixFilePermissions.fromString("rw-r--r--"));
    Files.copy(Path.of(argfile), opt.resolve("jvm.options")); // the COPY step
    Files.setPosixFilePermissions(opt.resolve("jvm.options"), PosixFilePermissions.fromString("rw-r--r--"));
    String javaBin = Path.of(System.getProperty("java.home"), "bin").toString();
    String mounts = "mount --bind '" + tmp.resolve("opt") + "' /opt; mount --bind '" + varLib + "' /var/lib";

    // 1. docker build's RUN step, as root (only `java` is this machine's: this JDK's bin first on PATH)
    Process build = new ProcessBuilder("unshare", "--mount", "sh", "-c",
        "set -e; " + mounts + "; export PATH='" + javaBin + "':/usr/bin:/bin; " + aotStep)
        .redirectErrorStream(true).start();
    String buildOut = new String(build.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(build.waitFor(5, TimeUnit.MINUTES)).isTrue();
    assertThat(build.exitValue()).as("the AOT training step; output:\n" + buildOut).isZero();
    assertThat(opt.resolve("nodepulse.aot")).isRegularFile();
    assertThat(opt.resolve("nodepulse-kube.aot")).isRegularFile();
    assertThat(Files.getAttribute(varLib.resolve("nodepulse"), "unix:uid")).as("the data dir's owner")
        .isEqualTo(Integer.parseInt(user[0]));

    // 2. docker run: read-only root, /opt and /var/lib from the image (read-only), a volume on the data
    //    dir owned by the image's user, a tmpfs on /tmp; then the ENTRYPOINT as USER, with only ENV set
    env.addAll(List.of("NODEPULSE_HTTP_PORT=0", "HOME=/nonexistent", "PATH=" + javaBin + ":/usr/bin:/bin"));
    String owner = user[0] + ":" + user[1];
    Files.setPosixFilePermissions(volume, PosixFilePermissions.fromString("rwxr-xr-x"));
    String asTheImage = "set -e; " + mounts
        + "; mount --bind '" + volume + "' /var/lib/nodepulse; chown " + owner + " /var/lib/nodepulse"
        + "; mount -t tmpfs -o mode=1777 tmpfs /tmp"
        + "; mount -o remount,bind,ro /opt; mount -o remount,bind,ro /var/lib; mount -o remount,bind,ro /"
        + "; exec setpriv --reuid " + user[0] + " --regid " + user[1] + " --clear-groups --inh-caps=-all env -i ";
    String script = asTheImage + String.join(" ", env) + " " + String.join(" ", entrypoint);
    Process p = new ProcessBuilder("unshare", "--mount", "sh", "-c", script).redirectErrorStream(true).start();
    StringBuilder out = new StringBuilder();
    try {
      int port = AgentOutput.awaitPort(p, out, 60);
      HttpClient http = HttpClient.newHttpClient();
      AtomicReference<String> ready = new AtomicReference<>();
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
            URI.create("http://127.0.0.1:" + port + "/readyz")).build(), HttpResponse.BodyHandlers.ofString());
        ready.set(r.body());
        return r.statusCode() == 200;
      });
      // the sampler's history store opened in the data dir: nothing else needed a writable disk
      assertThat(ready.get()).contains("\"sampler\":{\"state\":\"up\"");
      try (var written = Files.list(volume)) {
        assertThat(written).as("the history store is on the volume").isNotEmpty();
      }
      // the agent runs as the image's user, and the JVM mapped the cache the build step made
      String status = Files.readString(Path.of("/proc", Long.toString(p.pid()), "status"));
      assertThat(status).containsPattern("(?m)^Uid:\\s+" + user[0] + "\\s");
      assertThat(Files.readString(Path.of("/proc", Long.toString(p.pid()), "maps"))).contains(AOT);

      // STOPSIGNAL: SIGTERM ends in a clean stop
      assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor()).isZero();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as("exit code; output:\n" + out).isZero();
      synchronized (out) {
        assertThat(out.toString()).doesNotContain("Read-only file system").doesNotContain("ERROR")
            .doesNotContainIgnoringCase("[warning][aot]").doesNotContainIgnoringCase("[error][aot]");
      }
    } finally {
      p.destroyForcibly();
    }

    // 3. the chart's command (ChartRenderTest: the ENTRYPOINT with the Kubernetes-mode cache) in Kubernetes mode:
    //    the JVM maps that cache and takes it (no API server here: the agent serves while it retries)
    List<String> kube = new ArrayList<>(entrypoint.stream()
        .map(a -> a.equals("-XX:AOTCache=" + AOT) ? "-XX:AOTCache=" + KUBE_AOT : a).toList());
    kube.addAll(List.of("--mode=kubernetes", "--node-name=n1"));
    Process k = new ProcessBuilder("unshare", "--mount", "sh", "-c", asTheImage + String.join(" ", env)
        + " KUBERNETES_MASTER=https://127.0.0.1:1 " + String.join(" ", kube)).redirectErrorStream(true).start();
    StringBuilder kubeOut = new StringBuilder();
    try {
      AgentOutput.awaitPort(k, kubeOut, 60);
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> {
        synchronized (kubeOut) {
          return kubeOut.toString().contains("cannot connect to the API server");
        }
      });
      assertThat(Files.readString(Path.of("/proc", Long.toString(k.pid()), "maps"))).contains(KUBE_AOT);
      synchronized (kubeOut) { // the JVM says at start when it refuses a cache
        assertThat(kubeOut.toString()).doesNotContainIgnoringCase("[warning][aot]")
            .doesNotContainIgnoringCase("[error][aot]");
      }
      assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(k.pid())).start().waitFor()).isZero();
      assertThat(k.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      k.destroyForcibly();
    }

    // 4. the ENTRYPOINT's JVM options end a JVM whose heap runs out (so the kubelet or docker's restart policy
    //    starts a fresh agent), shown on a program that runs out of heap while another thread keeps it alive
    List<String> oom = new ArrayList<>(entrypoint.subList(0, entrypoint.indexOf("-XX:AOTCache=" + AOT)));
    oom.addAll(HeapExhaustion.program());
    HeapExhaustion.assertTheJvmExitsOnTheError(new ProcessBuilder("unshare", "--mount", "sh", "-c", "set -e; " + mounts
        + "; export PATH='" + javaBin + "':/usr/bin:/bin; exec " + String.join(" ", oom)));
  }

  private static String last(String text, String regex) {
    Matcher m = Pattern.compile(regex).matcher(text);
    String found = null;
    while (m.find()) {
      found = m.group(1);
    }
    assertThat(found).as("has " + regex).isNotNull();
    return found;
  }

  private static List<String> jsonArray(String json) {
    return new io.vertx.core.json.JsonArray(json).stream().map(Object::toString).toList();
  }
}
