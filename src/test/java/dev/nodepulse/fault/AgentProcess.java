package dev.nodepulse.fault;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The packaged agent ({@code target/nodepulse.jar}) in a child process, optionally under an open-file limit. */
final class AgentProcess implements AutoCloseable {
  private static final Pattern SERVING = Pattern.compile("serving http://127\\.0\\.0\\.1:(\\d+)/");

  final Process process;
  final int port;
  private final StringBuilder out = new StringBuilder();

  private AgentProcess(Process process) throws Exception {
    this.process = process;
    this.port = awaitPort();
  }

  /** Starts the jar with {@code args}; {@code maxOpenFiles} > 0 sets the child's open-file limit first. */
  static AgentProcess start(int maxOpenFiles, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String jar = System.getProperty("nodepulse.jar", "target/nodepulse.jar");
    if (maxOpenFiles > 0) {
      cmd.addAll(List.of("prlimit", "--nofile=" + maxOpenFiles + ":" + maxOpenFiles, "--"));
    }
    cmd.addAll(List.of(java, "--enable-native-access=ALL-UNNAMED", "-jar", jar));
    cmd.addAll(List.of(args));
    return new AgentProcess(new ProcessBuilder(cmd).redirectErrorStream(true).start());
  }

  private int awaitPort() throws Exception {
    BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Integer> found = new CompletableFuture<>();
    Thread.ofPlatform().daemon().start(() -> {
      try {
        for (String line; (line = r.readLine()) != null; ) {
          synchronized (out) {
            out.append(line).append('\n');
          }
          Matcher m = SERVING.matcher(line);
          if (m.find()) {
            found.complete(Integer.parseInt(m.group(1)));
          }
        }
        found.completeExceptionally(new AssertionError("agent exited before serving:\n" + output()));
      } catch (IOException e) {
        found.completeExceptionally(e);
      }
    });
    return found.get(90, TimeUnit.SECONDS);
  }

  String output() {
    synchronized (out) {
      return out.toString();
    }
  }

  /** SIGKILL, as a node's crash or the OOM killer does; waits until the process is gone. */
  void kill9() throws Exception {
    new ProcessBuilder("kill", "-KILL", Long.toString(process.pid())).start().waitFor(30, TimeUnit.SECONDS);
    process.waitFor(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      process.destroy();
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(30, TimeUnit.SECONDS);
      }
    }
  }
}
