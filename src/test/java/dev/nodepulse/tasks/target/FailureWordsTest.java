package dev.nodepulse.tasks.target;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.http.HttpClosedException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import java.util.stream.Stream;
import javax.net.ssl.SSLHandshakeException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Why an attempt failed, in the agent's words: the library's message (paths, internals) never shows. */
class FailureWordsTest {
  static Stream<Arguments> failures() {
    return Stream.of(
        Arguments.of(new UnknownHostException("api.shop: Name or service not known"), "no such host"),
        Arguments.of(new ConnectException("Connection refused: /127.0.0.1:1"), "connection refused"),
        Arguments.of(new SocketTimeoutException("Read timed out xyz"), "timed out connecting"),
        Arguments.of(new SSLHandshakeException("PKIX path building failed: unable to find valid certification path")
            .initCause(new CertPathValidatorException("xyz internals")), "certificate is not trusted"),
        Arguments.of(new SSLHandshakeException("No name matching localhost found")
            .initCause(new CertificateException("No name matching localhost found")), "does not name the host"),
        Arguments.of(new SSLHandshakeException("Received fatal alert: handshake_failure"), "TLS failed"),
        Arguments.of(new AccessDeniedException("/secret/path/xyz"), "permission denied"),
        Arguments.of(new NoSuchFileException("/secret/path/xyz"), "no such file"),
        Arguments.of(new IOException("Broken pipe xyz"), "broken pipe"),
        Arguments.of(new IOException("Connection reset by peer xyz"), "the connection was reset"),
        Arguments.of(new HttpClosedException("Connection was closed xyz"), "the connection was closed"),
        Arguments.of(new IllegalStateException("internal xyz", new ArithmeticException("xyz")),
            "failed (ArithmeticException)"));
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("failures")
  void isDescribedInTheAgentsWords(Throwable failure, String words) {
    String said = HttpTarget.describe(failure);
    assertThat(said).contains(words).doesNotContain("xyz").doesNotContain("/127.0.0.1").doesNotContain("PKIX")
        .doesNotContain("/secret");
  }
}
