package dev.nodepulse;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A program that runs out of heap the way an agent can: one thread allocates until the heap is gone while
 * another, as the agent's event loops do, keeps the process alive. Started with the agent's JVM options it
 * must end at the first {@link OutOfMemoryError}; otherwise the allocating thread catches the error, says
 * {@link #LIVED_ON} on stdout, and the process lives on with a thread fewer.
 */
public final class HeapExhaustion {
  static final String LIVED_ON = "lived on after an OutOfMemoryError";

  private HeapExhaustion() {}

  public static void main(String[] args) {
    new Thread(() -> {
      try {
        new CountDownLatch(1).await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "keeps-the-process-alive").start();
    new Thread(() -> {
      List<long[]> held = new ArrayList<>();
      try {
        while (true) {
          held.add(new long[1 << 16]);
        }
      } catch (OutOfMemoryError e) {
        held.clear();
        System.out.println(LIVED_ON);
        System.out.flush();
      }
    }, "allocates-until-the-heap-is-gone").start();
  }

  /** The arguments that run this program after a JVM's options: its class path and main class. */
  static List<String> program() throws URISyntaxException {
    return List.of("-cp", Path.of(HeapExhaustion.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        .toString(), HeapExhaustion.class.getName());
  }

  /** Starts {@code command} (a JVM running this program) and asserts that it ends, by the JVM's exit on the error. */
  static void assertTheJvmExitsOnTheError(ProcessBuilder command) throws Exception {
    Path err = Files.createTempFile("heap-exhaustion", ".err");
    Process p = command.redirectError(err.toFile()).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      // its output up to the end (it ended) or up to LIVED_ON (it lived on), whichever comes first
      String said = CompletableFuture.supplyAsync(() -> {
        StringBuilder lines = new StringBuilder();
        try {
          for (String line = out.readLine(); line != null; line = out.readLine()) {
            if (line.equals(LIVED_ON)) {
              return LIVED_ON;
            }
            lines.append(line).append('\n');
          }
        } catch (java.io.IOException e) {
          // the end of its output, read or not
        }
        return lines.toString();
      }, r -> Thread.ofPlatform().daemon().start(r)).get(2, TimeUnit.MINUTES);
      assertThat(said).as("the process lived on after its heap was gone; stderr:\n%s", Files.readString(err))
          .isNotEqualTo(LIVED_ON);
      assertThat(p.waitFor(1, TimeUnit.MINUTES)).isTrue();
      assertThat(p.exitValue()).as("exit code (the JVM's on OutOfMemoryError); stderr:\n%s", Files.readString(err))
          .isEqualTo(3);
      // HotSpot says why on stdout
      assertThat(said).contains("Terminating due to java.lang.OutOfMemoryError: Java heap space");
    } finally {
      p.destroyForcibly();
      Files.deleteIfExists(err);
    }
  }
}
