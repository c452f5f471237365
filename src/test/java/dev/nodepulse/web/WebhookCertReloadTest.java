package dev.nodepulse.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.config.Config;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A new certificate in the webhook's files (a Secret made anew, put into the pod by the kubelet) is served without a
 * restart; files that cannot be used leave the previous certificate served.
 */
class WebhookCertReloadTest {
  @TempDir Path tmp;
  Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  /** Whether a new connection that trusts only {@code ca} gets an answer. */
  boolean answers(int port, Path ca) {
    WebClient client = WebClient.create(vertx, new WebClientOptions().setSsl(true).setKeepAlive(false)
        .setTrustOptions(new PemTrustOptions().addCertPath(ca.toString())));
    try {
      return client.post(port, "127.0.0.1", WebhookVerticle.PATH).timeout(20_000)
          .sendJsonObject(new JsonObject().put("apiVersion", "admission.k8s.io/v1").put("kind", "AdmissionReview")
              .put("request", new JsonObject().put("uid", "u").put("operation", "DELETE"))).await().statusCode() == 200;
    } catch (Exception handshakeRefused) { // a certificate not trusted (Future.await rethrows its cause)
      return false;
    } finally {
      client.close();
    }
  }

  @Test
  void aNewCertificateIsServedWithoutARestartAndABrokenOneIsNot() throws Exception {
    WebhookCerts first = WebhookCerts.make(tmp.resolve("first"));
    WebhookCerts second = WebhookCerts.make(tmp.resolve("second"));
    Path cert = Files.copy(first.cert(), tmp.resolve("tls.crt"));
    Path key = Files.copy(first.key(), tmp.resolve("tls.key"));
    WebhookVerticle webhook = new WebhookVerticle(Config.forTest(tmp.resolve("data"), "--webhook-host", "127.0.0.1",
        "--webhook-port", String.valueOf(WebhookCerts.freePort()), "--webhook-cert-file", cert.toString(),
        "--webhook-key-file", key.toString()), Duration.ofMillis(200));
    vertx.deployVerticle(webhook).await();
    int port = webhook.port();
    assertThat(answers(port, first.caCert())).isTrue();
    assertThat(answers(port, second.caCert())).isFalse();

    Files.writeString(tmp.resolve("broken.crt"), "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----\n");
    Files.move(tmp.resolve("broken.crt"), cert, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    // several reload periods pass with the broken file: the first certificate is still served
    await().pollDelay(1, TimeUnit.SECONDS).atMost(30, TimeUnit.SECONDS).until(() -> answers(port, first.caCert()));

    Files.copy(second.key(), tmp.resolve("new.key"));
    Files.copy(second.cert(), tmp.resolve("new.crt"));
    Files.move(tmp.resolve("new.key"), key, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    Files.move(tmp.resolve("new.crt"), cert, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    await().atMost(60, TimeUnit.SECONDS).until(() -> answers(port, second.caCert()));
    assertThat(answers(port, first.caCert())).isFalse();
  }
}
