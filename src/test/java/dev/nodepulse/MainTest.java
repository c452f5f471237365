package dev.nodepulse;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.ArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A start that is refused says why in one line and creates nothing in the data dir. */
class MainTest {
  @TempDir Path tmp;

  private record Run(Main.Started started, String err) {}

  private static Run start(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Main.Started started = Main.start(args, Map.of(), new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    if (started.agent() != null) {
      started.agent().stop().await();
    }
    return new Run(started, err.toString(StandardCharsets.UTF_8).strip());
  }

  private static List<Path> list(Path dir) throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(Path::getFileName).toList();
    }
  }

  @Test
  void aPortInUseNamesTheAddressAndTheFlagAndCreatesNothing() throws Exception {
    Path data = tmp.resolve("state/nodepulse");
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      Run http = start("--http-port", String.valueOf(port), "--data-dir", data.toString());
      assertThat(http.started().exit()).isNotZero();
      assertThat(http.err().lines()).hasSize(1);
      assertThat(http.err()).contains("127.0.0.1:" + port, "address already in use", "--http-port");

      Run metrics = start("--http-port", "0", "--metrics-host", "127.0.0.1", "--metrics-port", String.valueOf(port),
          "--data-dir", data.toString());
      assertThat(metrics.started().exit()).isNotZero();
      assertThat(metrics.err()).contains("127.0.0.1:" + port, "address already in use", "--metrics-port")
          .doesNotContain("--http-port");
    }
    assertThat(tmp.resolve("state")).as("nothing created").doesNotExist();
  }

  @Test
  void anOptionTheAgentRefusesAtStartCreatesNothingInTheDataDir() throws Exception {
    // a deny list that is not CIDRs: only the task targets can judge it, and they are asked before any store opens.
    // Watched with inotify: a store created and removed again would show as an event before the marker written after.
    Path data = Files.createDirectories(tmp.resolve("data"));
    Files.writeString(data.resolve("notes.txt"), "mine");
    Path fresh = tmp.resolve("fresh/data");
    try (WatchService watch = tmp.getFileSystem().newWatchService()) {
      data.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE);
      tmp.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE);
      Run existing = start("--http-port", "0", "--destination-deny", "not-a-cidr", "--data-dir", data.toString());
      assertThat(existing.started().exit()).isNotZero();
      assertThat(existing.err()).contains("--destination-deny", "not-a-cidr");
      Run created = start("--http-port", "0", "--destination-deny", "not-a-cidr", "--data-dir", fresh.toString());
      assertThat(created.started().exit()).isNotZero();

      Files.writeString(data.resolve("marker"), "after both starts");
      List<String> events = new ArrayList<>();
      await().atMost(60, TimeUnit.SECONDS).until(() -> {
        WatchKey key = watch.poll();
        if (key != null) {
          key.pollEvents().forEach(e -> events.add(e.kind().name() + " " + e.context()));
          key.reset();
        }
        return events.stream().anyMatch(e -> e.endsWith(" marker"));
      });
      assertThat(events).as("nothing created (and removed) in the data dir or above it").containsExactly(
          "ENTRY_CREATE marker");
    }
    assertThat(list(data)).containsExactlyInAnyOrder(Path.of("notes.txt"), Path.of("marker"));
    assertThat(Files.readString(data.resolve("notes.txt"))).isEqualTo("mine");
    assertThat(tmp.resolve("fresh")).as("nothing created").doesNotExist();
  }

  @Test
  void anEmptyTokenFileIsRefusedBeforeAnything() throws Exception {
    Path token = Files.writeString(tmp.resolve("token"), " \n");
    Path data = tmp.resolve("data");
    Run bad = start("--http-port", "0", "--api-token-file", token.toString(), "--data-dir", data.toString());
    assertThat(bad.started().exit()).isEqualTo(2);
    assertThat(bad.err()).contains("--api-token-file", "is empty");
    assertThat(data).doesNotExist();
  }

  @Test
  void aBadOptionIsRefusedBeforeAnything() {
    Path data = tmp.resolve("data");
    Run bad = start("--history", "forever", "--data-dir", data.toString());
    assertThat(bad.started().exit()).isEqualTo(2);
    assertThat(bad.err()).contains("--history", "'forever'");
    assertThat(data).doesNotExist();
  }
}
