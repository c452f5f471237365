package dev.nodepulse.kube;

import io.fabric8.kubeapitest.KubeAPIServer;
import io.fabric8.kubeapitest.KubeAPIServerConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How long agents take from start to ready ({@code /readyz} 200): three agent processes started together by the
 * launcher ({@code ./nodepulse}) in Kubernetes mode against one real API server, beside one standalone agent.
 * Each process's time is from its start to its first 200; a run of each kind first, unmeasured, makes the
 * launcher's AOT caches. Usage: bench/kube/startup.sh [rounds]
 */
public final class StartupBench {
  private StartupBench() {}

  static final Pattern PORT = Pattern.compile("listening on http://[^:]+:(\\d+)/");

  /** One agent process and the moment it was started. */
  record Started(Process process, long startNanos, StringBuilder out) {}

  static Started launch(Path data, String... args) throws Exception {
    return launchWithEnv(data, null, args);
  }

  /** Seconds from start to the first {@code /readyz} 200, polled every 20 ms. */
  static double readyAfter(Started s, HttpClient http) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
    int port = -1;
    while (System.nanoTime() < deadline) {
      if (port < 0) {
        synchronized (s.out()) {
          Matcher m = PORT.matcher(s.out());
          if (m.find()) {
            port = Integer.parseInt(m.group(1));
          }
        }
      }
      if (port > 0) {
        try {
          var r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
              .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.ofString());
          if (r.statusCode() == 200) {
            return (System.nanoTime() - s.startNanos()) / 1e9;
          }
        } catch (java.io.IOException e) {
          // not yet
        }
      }
      Thread.sleep(20);
    }
    synchronized (s.out()) {
      throw new IllegalStateException("not ready within 120 s:\n" + s.out());
    }
  }

  static void stop(List<Started> all) throws Exception {
    for (Started s : all) {
      s.process().destroy();
    }
    for (Started s : all) {
      s.process().waitFor();
    }
  }

  public static void main(String[] args) throws Exception {
    int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 3;
    KubeAPIServer server = new KubeAPIServer(KubeAPIServerConfigBuilder.anAPIServerConfig()
        .withApiServerVersion(Kubectl.K8S_VERSION).withOfflineMode(true)
        .withApiServerFlag("--advertise-address", "127.0.0.1").withStartupTimeout(120_000).build());
    server.start();
    Path dir = Files.createTempDirectory("startupbench");
    HttpClient http = HttpClient.newHttpClient();
    try (KubernetesClient client = new KubernetesClientBuilder()
        .withConfig(io.fabric8.kubernetes.client.Config.fromKubeconfig(server.getKubeConfigYaml())).build()) {
      TestCluster.installCrd(client);
      Path kubeconfig = dir.resolve("kubeconfig");
      Files.writeString(kubeconfig, server.getKubeConfigYaml());
      for (int round = 0; round <= rounds; round++) {
        String tag = round == 0 ? "warm-up" : "round " + round;
        Started alone = launch(Files.createDirectories(dir.resolve("standalone-" + round)));
        double standalone = readyAfter(alone, http);
        stop(List.of(alone));
        Started one = launchKube(dir, kubeconfig, round, 0);
        double kubeAlone = readyAfter(one, http);
        stop(List.of(one));
        if (round == rounds && Boolean.getBoolean("startup.log")) {
          synchronized (one.out()) {
            System.out.print(one.out());
          }
        }
        List<Started> kube = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
          kube.add(launchKube(dir, kubeconfig, round, i));
        }
        List<String> times = new ArrayList<>();
        for (Started s : kube) {
          times.add(String.format("%.2f", readyAfter(s, http)));
        }
        stop(kube);
        if (round == rounds && Boolean.getBoolean("startup.log")) {
          synchronized (kube.get(0).out()) {
            System.out.print(kube.get(0).out());
          }
        }
        System.out.printf("%s: standalone %.2f s; kubernetes alone %.2f s, three together: %s s%n", tag,
            standalone, kubeAlone, String.join(" / ", times));
      }
    } finally {
      server.stop();
    }
  }

  static Started launchKube(Path dir, Path kubeconfig, int round, int i) throws Exception {
    Path data = Files.createDirectories(dir.resolve("node-" + i + "-" + round));
    return launchWithEnv(data, kubeconfig, "--mode", "kubernetes", "--node-name", "node-" + i);
  }

  static Started launchWithEnv(Path data, Path kubeconfig, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("./nodepulse", "--http-port", "0", "--data-dir", data.toString(),
        "--log-level", "info"));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    if (kubeconfig != null) {
      pb.environment().put("KUBECONFIG", kubeconfig.toString());
    }
    long t0 = System.nanoTime();
    Process p = pb.start();
    StringBuilder out = new StringBuilder();
    Thread reader = new Thread(() -> {
      try (var r = p.inputReader()) {
        String line;
        while ((line = r.readLine()) != null) {
          synchronized (out) {
            out.append(String.format("+%.2fs ", (System.nanoTime() - t0) / 1e9)).append(line).append('\n');
          }
        }
      } catch (Exception ignored) {
        // the process ended
      }
    });
    reader.setDaemon(true);
    reader.start();
    return new Started(p, t0, out);
  }
}
