package dev.nodepulse.fault;

import dev.nodepulse.AgentOutput;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The packaged agent ({@code target/nodepulse.jar}) in a child process, optionally under an open-file limit. */
final class AgentProcess implements AutoCloseable {

  final Process process;
  final int port;
  private final StringBuilder out = new StringBuilder();

  private AgentProcess(Process process) throws Exception {
    this.process = process;
    this.port = AgentOutput.awaitPort(process, out, 90);
  }

  /** Starts the jar with {@code args}; {@code maxOpenFiles} > 0 sets the child's open-file limit first. */
  static AgentProcess start(int maxOpenFiles, String... args) throws Exception {
    return start(maxOpenFiles, List.of("--enable-native-access=ALL-UNNAMED"), args);
  }

  /** Starts the jar with the JVM options {@code jvmOptions} and the agent options {@code args}. */
  static AgentProcess start(int maxOpenFiles, List<String> jvmOptions, String... args) throws Exception {
    List<String> cmd = new ArrayList<>();
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String jar = System.getProperty("nodepulse.jar", "target/nodepulse.jar");
    if (maxOpenFiles > 0) {
      cmd.addAll(List.of("prlimit", "--nofile=" + maxOpenFiles + ":" + maxOpenFiles, "--"));
    }
    cmd.add(java);
    cmd.addAll(jvmOptions);
    cmd.addAll(List.of("-jar", jar));
    cmd.addAll(List.of(args));
    return new AgentProcess(new ProcessBuilder(cmd).redirectErrorStream(true).start());
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
