package dev.nodepulse.kube;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The real kubectl (from .ci/k8s-binaries) against a test API server, through a kubeconfig file. */
final class Kubectl {
  static final String K8S_VERSION = "1.34.4";

  /** What a kubectl call printed and how it ended. */
  record Result(int exitCode, String out, String err) {}

  private final Path kubeconfig;

  Kubectl(Path dir, String kubeConfigYaml) throws IOException {
    this.kubeconfig = dir.resolve("kubeconfig");
    Files.writeString(kubeconfig, kubeConfigYaml);
  }

  static Path binary() {
    String env = System.getenv("NODEPULSE_KUBECTL");
    List<Path> candidates = new ArrayList<>();
    if (env != null && !env.isBlank()) {
      candidates.add(Path.of(env));
    }
    String testDir = System.getenv().getOrDefault("KUBE_API_TEST_DIR",
        Path.of(System.getProperty("user.home"), ".kubeapitest").toString());
    candidates.add(Path.of(testDir, "k8s", K8S_VERSION + "-linux-amd64", "kubectl"));
    candidates.add(Path.of(System.getProperty("user.home"), ".cache", "nodepulse", "k8s", "v" + K8S_VERSION, "kubectl"));
    return candidates.stream().filter(Files::isExecutable).findFirst().orElseThrow(() -> new AssertionError(
        "kubectl not found in " + candidates + ": run .ci/k8s-binaries (called by .ci/setup)"));
  }

  /** Runs kubectl with the arguments and optional stdin. */
  Result run(String stdin, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(binary().toString(), "--kubeconfig", kubeconfig.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    var out = p.getInputStream().readAllBytes();
    var err = p.getErrorStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("kubectl %s ended", args[0]).isTrue();
    return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8), new String(err, StandardCharsets.UTF_8));
  }

  /** {@code kubectl apply -f -} of the given YAML. */
  Result apply(String yaml) throws IOException, InterruptedException {
    return run(yaml, "apply", "-f", "-");
  }
}
