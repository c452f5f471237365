package dev.nodepulse.tasks.target;

import static dev.nodepulse.tasks.target.Run.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.RunResult.Outcome;
import dev.nodepulse.tasks.model.Target;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A reply that is not UTF-8 text (a gzip body, an image, NUL bytes) is stored as a statement of its size and
 * Content-Type, never as text with replacement characters; a text reply is stored as it came, a character split
 * by the 1 MiB cut included. A real local HTTP server and TCP server send the replies.
 */
class BinaryReplyTest {
  static final byte[] GZIP = gzip("hello, this is compressed text ".repeat(40));
  static final String TEXT = "héllo wörld € 😀\n";
  /** Text whose 4-byte character straddles the 1 MiB read limit. */
  static final byte[] CUT_TEXT = cutText();

  @TempDir Path dir;
  Vertx vertx;
  int port;
  Targets targets;

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
    port = await(vertx.createHttpServer().requestHandler(req -> {
      var resp = req.response();
      switch (req.path()) {
        case "/gzip" -> resp.putHeader("Content-Type", "application/gzip").end(Buffer.buffer(GZIP));
        case "/png" -> resp.putHeader("Content-Type", "image/png")
            .end(Buffer.buffer(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13}));
        case "/nul" -> resp.end(Buffer.buffer("abc\0def".getBytes(StandardCharsets.US_ASCII)));
        case "/latin1" -> resp.putHeader("Content-Type", "text/plain; charset=iso-8859-1")
            .end(Buffer.buffer("caf\u00e9".getBytes(StandardCharsets.ISO_8859_1)));
        case "/text" -> resp.putHeader("Content-Type", "text/plain; charset=utf-8").end(TEXT);
        case "/cut" -> resp.end(Buffer.buffer(CUT_TEXT));
        default -> resp.setStatusCode(404).end();
      }
    }).listen(0, "127.0.0.1")).actualPort();
    targets = new Targets(vertx, Config.forTest(dir));
  }

  @AfterEach
  void stop() {
    targets.close();
    await(vertx.close());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "/gzip   | application/gzip",
      "/png    | image/png",
      "/nul    | ",
      "/latin1 | text/plain; charset=iso-8859-1"})
  void aReplyThatIsNotTextIsStatedNotStored(String path, String contentType) {
    RunResult r = await(targets.start(get(path), Map.of(), p -> {}));

    assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
    String expected = "[binary reply: " + r.bytes() + " bytes"
        + (contentType == null ? "" : ", Content-Type " + contentType) + "; not shown]";
    assertThat(r.output()).isEqualTo(expected).doesNotContain("\uFFFD");
    assertThat(r.result()).isEqualTo(expected);
    assertThat(r.bytes()).isPositive();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource({"/text", "/cut"})
  void aTextReplyIsStoredAsText(String path) {
    RunResult r = await(targets.start(get(path), Map.of(), p -> {}));

    assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(r.output()).doesNotContain("\uFFFD").doesNotContain("binary reply");
    if (path.equals("/text")) {
      assertThat(r.output()).isEqualTo(TEXT);
      assertThat(r.result()).isEqualTo(TEXT.strip());
    } else {
      assertThat(r.output()).startsWith("aaaa").endsWith("[reply cut: only its first " + HttpTarget.MAX_BODY
          + " bytes were read]");
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {"gzip | false", "text | true"})
  void aTcpReplyThatIsNotTextIsStatedToo(String kind, boolean text) {
    byte[] reply = text ? "PONG é\n".getBytes(StandardCharsets.UTF_8)
        : concat(Arrays.copyOf(GZIP, 10), new byte[] {'\n'}); // the gzip header: no newline in it
    NetServer server = vertx.createNetServer().connectHandler(s -> s.handler(b -> s.write(Buffer.buffer(reply))));
    int tcpPort = await(server.listen(0, "127.0.0.1")).actualPort();

    RunResult r = await(targets.start(new Target.Tcp("127.0.0.1:" + tcpPort, "PING\n", true, Duration.ofSeconds(5)),
        Map.of(), p -> {}));

    assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(r.output()).doesNotContain("\uFFFD")
        .isEqualTo(text ? "PONG é" : "[binary reply: 10 bytes; not shown]");
  }

  private Target.Http get(String path) {
    return new Target.Http("http://127.0.0.1:" + port + path, "GET", Map.of(), null, Duration.ofSeconds(30), false, 0);
  }

  private static byte[] gzip(String text) {
    var out = new ByteArrayOutputStream();
    try (var z = new GZIPOutputStream(out)) {
      z.write(text.getBytes(StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toByteArray();
  }

  private static byte[] cutText() {
    byte[] b = new byte[HttpTarget.MAX_BODY + 100];
    Arrays.fill(b, (byte) 'a');
    byte[] emoji = "😀".getBytes(StandardCharsets.UTF_8);
    System.arraycopy(emoji, 0, b, HttpTarget.MAX_BODY - 2, emoji.length); // two bytes before the cut, two after
    return b;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
