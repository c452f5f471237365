package dev.nodepulse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The webhook's flags: off by default; a port needs both PEM files, and the files need a port. */
class WebhookFlagsTest {
  @TempDir Path tmp;

  @Test
  void offByDefault() {
    Config c = Config.forTest(tmp);
    assertThat(c.webhookPort()).isZero();
    assertThat(c.webhookHost()).isEqualTo("0.0.0.0");
    assertThat(c.webhookCertFile()).isNull();
    assertThat(c.webhookKeyFile()).isNull();
    assertThat(Flags.usage()).contains("--webhook-port", "--webhook-cert-file", "--webhook-key-file", "--webhook-host",
        "[NODEPULSE_WEBHOOK_PORT]");
  }

  @Test
  void aPortNeedsReadableCertificateAndKeyFiles() throws Exception {
    Path cert = Files.writeString(tmp.resolve("tls.crt"), "pem");
    Path key = Files.writeString(tmp.resolve("tls.key"), "pem");
    assertThatThrownBy(() -> Config.forTest(tmp, "--webhook-port", "9443", "--webhook-key-file", key.toString()))
        .isInstanceOf(Flags.BadOption.class)
        .hasMessage("--webhook-cert-file (NODEPULSE_WEBHOOK_CERT_FILE): needed with --webhook-port 9443 (the listener is HTTPS)");
    assertThatThrownBy(() -> Config.forTest(tmp, "--webhook-port", "9443", "--webhook-cert-file", cert.toString(),
        "--webhook-key-file", tmp.resolve("absent.key").toString()))
        .isInstanceOf(Flags.BadOption.class).hasMessageContaining("--webhook-key-file")
        .hasMessageContaining("absent.key' is not a readable file");
    assertThatThrownBy(() -> Config.forTest(tmp, "--webhook-cert-file", cert.toString()))
        .isInstanceOf(Flags.BadOption.class)
        .hasMessage("--webhook-cert-file is given but --webhook-port is 0 (no webhook listener)");
    Config on = Config.forTest(tmp, "--webhook-port", "9443", "--webhook-cert-file", cert.toString(),
        "--webhook-key-file", key.toString());
    assertThat(on.webhookPort()).isEqualTo(9443);
    assertThat(on.webhookCertFile()).isEqualTo(cert);
  }
}
