package dev.nodepulse;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Test helper for an agent started as a process (the packaged jar): its output, and the port it serves on. */
public final class AgentOutput {
  private static final Pattern SERVING = Pattern.compile("serving http://127\\.0\\.0\\.1:(\\d+)/");

  private AgentOutput() {}

  /**
   * Reads the agent's output into {@code out} (synchronized on it) until it logs the port it serves on, and keeps
   * draining it in the background; fails with the output if the agent exits first or {@code timeoutSeconds} pass.
   */
  public static int awaitPort(Process p, StringBuilder out, long timeoutSeconds) throws Exception {
    BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Integer> port = new CompletableFuture<>();
    Thread.ofPlatform().daemon().start(() -> {
      try {
        for (String line; (line = r.readLine()) != null; ) {
          synchronized (out) {
            out.append(line).append('\n');
          }
          Matcher m = SERVING.matcher(line);
          if (m.find()) {
            port.complete(Integer.parseInt(m.group(1)));
          }
        }
        synchronized (out) {
          port.completeExceptionally(new AssertionError("agent exited before serving:\n" + out));
        }
      } catch (IOException e) {
        port.completeExceptionally(e);
      }
    });
    return port.get(timeoutSeconds, TimeUnit.SECONDS);
  }
}
