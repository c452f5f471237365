package dev.nodepulse;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a standalone agent loads: the packaged jar, started as a user starts it, serving its page,
 * API and /metrics, with the JVM logging every class it loads. Code for other modes (the Kubernetes
 * client) and what the footprint work removed (OSHI, JNA, logback's XML configurator, Jackson's
 * ObjectMapper behind Vert.x's JSON, client_java's JVM instrumentation and the JMX and JFR classes it
 * pulled in, Netty's DNS resolver) must not be loaded: each costs class metadata and start-up time on
 * every node (docs/benchmarks.md). OSHI is the sampler where there is no {@code /proc}: on Linux, with the default
 * {@code --sampler auto}, none of its classes (nor the source that wraps it) loads; with {@code --sampler oshi} they
 * do, which shows the check sees them.
 */
class StandaloneClassesIT {
  @Test
  void aStandaloneAgentLoadsNoKubernetesClientNoNativeBridgeNoXmlConfiguratorAndNoObjectMapper(@TempDir Path tmp) throws Exception {
    List<String> loaded = run(tmp);
    assertThat(loaded).as("the agent's own classes were logged").contains("dev.nodepulse.Main", "dev.nodepulse.sampler.ProcfsSource");
    assertThat(loaded).filteredOn(c -> c.startsWith("io.fabric8.") || c.startsWith("dev.nodepulse.kube."))
        .as("Kubernetes client and Kubernetes-mode classes").isEmpty();
    assertThat(loaded).filteredOn(c -> c.startsWith("oshi.") || c.startsWith("com.sun.jna.")
        || c.equals("dev.nodepulse.sampler.OshiSource")).as("OSHI/JNA").isEmpty();
    assertThat(loaded).filteredOn(c -> c.startsWith("ch.qos.logback.classic.joran.") || c.startsWith("ch.qos.logback.core.joran.action.")
        || c.startsWith("com.sun.org.apache.xerces.")).as("logback's XML configurator and an XML parser").isEmpty();
    assertThat(loaded).filteredOn(c -> c.startsWith("com.fasterxml.jackson.databind.")).as("Jackson databind").isEmpty();
    assertThat(loaded).filteredOn(c -> c.startsWith("io.prometheus.metrics.instrumentation.") || c.startsWith("com.sun.jmx.")
        || c.startsWith("jdk.jfr.events.") || c.equals("jdk.jfr.internal.MetadataRepository"))
        .as("client_java's JVM instrumentation, the JMX server and JFR's event metadata").isEmpty();
    assertThat(loaded).filteredOn(c -> c.startsWith("io.netty.resolver.dns.")).as("Netty's DNS resolver").isEmpty();
  }

  @Test
  void withSamplerOshiTheAgentServesOnOshiAndJna(@TempDir Path tmp) throws Exception {
    List<String> loaded = run(tmp, "--sampler", "oshi");
    assertThat(loaded).contains("dev.nodepulse.sampler.OshiSource", "oshi.SystemInfo").doesNotContain("dev.nodepulse.sampler.ProcfsSource");
    assertThat(loaded).filteredOn(c -> c.startsWith("com.sun.jna.")).isNotEmpty();
  }

  /** Runs the packaged agent until it is ready and has served its page, API and metrics; the classes it loaded. */
  private static List<String> run(Path tmp, String... extra) throws Exception {
    Path classLog = tmp.resolve("classes.log");
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xlog:class+load=info:file=" + classLog, "-jar", System.getProperty("nodepulse.jar", "target/nodepulse.jar"),
        "--http-port", "0", "--data-dir", tmp.resolve("data").toString(), "--mode", "standalone"));
    cmd.addAll(List.of(extra));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    StringBuilder out = new StringBuilder();
    try {
      int port = AgentOutput.awaitPort(p, out, 60);
      HttpClient http = HttpClient.newHttpClient();
      Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> get(http, port, "/readyz") == 200);
      for (String path : List.of("/metrics", "/api/v1/host", "/api/v1/cpu", "/api/v1/tasks", "/")) {
        assertThat(get(http, port, path)).as(path).isEqualTo(200);
      }
      assertThat(new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor()).isZero();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      p.destroyForcibly();
    }
    return Files.readAllLines(classLog).stream().filter(l -> l.contains("[class,load]"))
        .map(l -> l.replaceFirst("^.*\\[class,load] (\\S+).*$", "$1")).toList();
  }

  private static int get(HttpClient http, int port, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
