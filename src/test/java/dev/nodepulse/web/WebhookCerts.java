package dev.nodepulse.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A certificate authority and a serving certificate for 127.0.0.1 made with the machine's openssl, as the chart's
 * helm functions make them: the key in the traditional RSA PEM form ({@code BEGIN RSA PRIVATE KEY}), as
 * {@code genSignedCert} writes it.
 */
public record WebhookCerts(Path caCert, Path cert, Path key) {

  /** Makes the files under {@code dir}. */
  public static WebhookCerts make(Path dir) throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("san.cnf"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
        "-subj", "/CN=nodepulse-test-ca");
    openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "pkcs8.key", "-out", "tls.csr", "-subj",
        "/CN=127.0.0.1");
    openssl(dir, "x509", "-req", "-in", "tls.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out",
        "tls.crt", "-days", "2", "-extfile", "san.cnf");
    openssl(dir, "rsa", "-in", "pkcs8.key", "-out", "tls.key", "-traditional");
    assertThat(Files.readString(dir.resolve("tls.key"))).startsWith("-----BEGIN RSA PRIVATE KEY-----");
    return new WebhookCerts(dir.resolve("ca.crt"), dir.resolve("tls.crt"), dir.resolve("tls.key"));
  }

  /** The CA certificate, base64 of its PEM, as a webhook's {@code caBundle}. */
  public String caBundle() throws IOException {
    return java.util.Base64.getEncoder().encodeToString(Files.readAllBytes(caCert));
  }

  /** The agent's flags that serve the webhook on {@code port} with these files. */
  public String[] flags(int port) {
    return new String[] {"--webhook-host", "127.0.0.1", "--webhook-port", String.valueOf(port),
        "--webhook-cert-file", cert.toString(), "--webhook-key-file", key.toString()};
  }

  /** A port free on loopback now. */
  public static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static void openssl(Path dir, String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("openssl %s: %s", args[0], out).isZero();
  }
}
