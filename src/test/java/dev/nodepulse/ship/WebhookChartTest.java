package dev.nodepulse.ship;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.nodepulse.config.Config;
import dev.nodepulse.web.WebhookCerts;
import dev.nodepulse.web.WebhookVerticle;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.io.ByteArrayInputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chart's admission webhook: registered for DelayedTasks as the issue asks (CREATE and UPDATE, failurePolicy
 * Ignore, no side effects, v1 reviews, a short timeout) through a Service to the agents' webhook port, with a CA whose
 * caBundle verifies the certificate the chart makes for that Service's name, and which the agent can serve.
 */
class WebhookChartTest {
  @TempDir Path home;

  private Rendered template(String... extra) throws Exception {
    List<String> args = new ArrayList<>(List.of("template", "nodepulse", KubeTools.CHART.toString(), "--namespace", "np"));
    args.addAll(List.of(extra));
    return Rendered.parse(KubeTools.helm(home, args.toArray(String[]::new)).ok());
  }

  @Test
  void theWebhookIsRegisteredForDelayedTasksThroughAServiceToTheAgents() throws Exception {
    Rendered r = template();
    JsonNode hook = r.one("ValidatingWebhookConfiguration").path("webhooks").get(0);
    assertThat(hook.path("name").asText()).isEqualTo("delayedtasks.nodepulse.dev");
    assertThat(hook.path("failurePolicy").asText()).isEqualTo("Ignore");
    assertThat(hook.path("sideEffects").asText()).isEqualTo("None");
    assertThat(hook.path("admissionReviewVersions").toString()).isEqualTo("[\"v1\"]");
    assertThat(hook.path("timeoutSeconds").asInt()).isEqualTo(5);
    assertThat(hook.path("rules").toString()).isEqualTo("[{\"apiGroups\":[\"nodepulse.dev\"],\"apiVersions\":"
        + "[\"v1alpha1\"],\"resources\":[\"delayedtasks\"],\"operations\":[\"CREATE\",\"UPDATE\"],\"scope\":\"Namespaced\"}]");
    assertThat(hook.has("namespaceSelector")).as("every namespace, as the agents watch by default").isFalse();
    JsonNode service = hook.path("clientConfig").path("service");
    assertThat(service.toString()).isEqualTo("{\"name\":\"nodepulse-webhook\",\"namespace\":\"np\",\"path\":\""
        + WebhookVerticle.PATH + "\",\"port\":443}");

    JsonNode svc = r.named("Service", "nodepulse-webhook").path("spec");
    assertThat(svc.path("selector")).isEqualTo(r.one("DaemonSet").path("spec").path("selector").path("matchLabels"));
    assertThat(svc.path("ports").toString()).isEqualTo("[{\"name\":\"webhook\",\"port\":443,\"targetPort\":\"webhook\","
        + "\"protocol\":\"TCP\"}]");
    JsonNode pod = r.one("DaemonSet").path("spec").path("template").path("spec");
    JsonNode c = pod.path("containers").get(0);
    assertThat(c.path("ports").get(1).toString()).isEqualTo("{\"name\":\"webhook\",\"containerPort\":9443,\"protocol\":\"TCP\"}");
    List<String> args = new ArrayList<>();
    c.path("args").forEach(a -> args.add(a.asText()));
    assertThat(args).contains("--webhook-port=9443", "--webhook-cert-file=/etc/nodepulse/webhook/tls.crt",
        "--webhook-key-file=/etc/nodepulse/webhook/tls.key");
    assertThat(pod.path("volumes").toString()).contains("{\"name\":\"webhook-cert\",\"secret\":{\"secretName\":\"nodepulse-webhook\"}}");

    JsonNode watched = template("--set", "agent.namespaces={shop,ops}", "--set", "webhook.timeoutSeconds=2")
        .one("ValidatingWebhookConfiguration").path("webhooks").get(0);
    assertThat(watched.path("namespaceSelector").toString()).isEqualTo("{\"matchExpressions\":[{\"key\":"
        + "\"kubernetes.io/metadata.name\",\"operator\":\"In\",\"values\":[\"shop\",\"ops\"]}]}");
    assertThat(watched.path("timeoutSeconds").asInt()).isEqualTo(2);
    KubeTools.Result tooLong = KubeTools.helm(home, "template", "x", KubeTools.CHART.toString(), "--set",
        "webhook.timeoutSeconds=60");
    assertThat(tooLong.exit()).isNotZero();
    assertThat(tooLong.err()).contains("timeoutSeconds");
  }

  @Test
  void theChartsCertificateNamesTheServiceIsVerifiedByTheCaBundleAndIsServedByTheAgent() throws Exception {
    Rendered r = template();
    JsonNode secret = r.named("Secret", "nodepulse-webhook");
    assertThat(secret.path("type").asText()).isEqualTo("kubernetes.io/tls");
    String caBundle = r.one("ValidatingWebhookConfiguration").path("webhooks").get(0).path("clientConfig")
        .path("caBundle").asText();
    assertThat(secret.path("data").path("ca.crt").asText()).isEqualTo(caBundle);
    byte[] caPem = Base64.getDecoder().decode(caBundle);
    byte[] certPem = Base64.getDecoder().decode(secret.path("data").path("tls.crt").asText());
    CertificateFactory x509 = CertificateFactory.getInstance("X.509");
    X509Certificate ca = (X509Certificate) x509.generateCertificate(new ByteArrayInputStream(caPem));
    X509Certificate cert = (X509Certificate) x509.generateCertificate(new ByteArrayInputStream(certPem));
    cert.verify(ca.getPublicKey());
    assertThat(cert.getSubjectAlternativeNames().stream().map(n -> String.valueOf(n.get(1))).toList()).contains("nodepulse-webhook.np.svc", "nodepulse-webhook.np.svc.cluster.local");

    Path certFile = Files.write(home.resolve("tls.crt"), certPem);
    Path key = Files.write(home.resolve("tls.key"), Base64.getDecoder().decode(secret.path("data").path("tls.key").asText()));
    Path caFile = Files.write(home.resolve("ca.crt"), caPem);
    int port = WebhookCerts.freePort();
    Vertx vertx = Vertx.vertx();
    try {
      vertx.deployVerticle(new WebhookVerticle(Config.forTest(home.resolve("data"), "--webhook-host", "127.0.0.1",
          "--webhook-port", String.valueOf(port), "--webhook-cert-file", certFile.toString(), "--webhook-key-file",
          key.toString()))).await();
      // the API server dials the Service's name; here that name is sent as SNI and checked against the certificate
      WebClient client = WebClient.create(vertx, new WebClientOptions().setSsl(true).setForceSni(true)
          .setTrustOptions(new PemTrustOptions().addCertPath(caFile.toString())));
      HttpResponse<Buffer> answer = client.post(port, "127.0.0.1", WebhookVerticle.PATH)
          .virtualHost("nodepulse-webhook.np.svc").timeout(20_000)
          .sendJsonObject(new JsonObject().put("apiVersion", "admission.k8s.io/v1").put("kind", "AdmissionReview")
              .put("request", new JsonObject().put("uid", "u").put("operation", "DELETE"))).await();
      assertThat(answer.statusCode()).isEqualTo(200);
      assertThat(answer.bodyAsJsonObject().getJsonObject("response").getBoolean("allowed")).isTrue();
    } finally {
      vertx.close().await();
    }
  }
}
