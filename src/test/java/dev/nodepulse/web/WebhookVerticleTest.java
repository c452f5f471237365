package dev.nodepulse.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.config.Config;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admission webhook over real HTTPS: the API server's AdmissionReview of a DelayedTask is answered with the
 * agent's own validation (a bad cron expression, time zone, header name or header value refused with status 422 and
 * the agent's message naming the field and the value; a valid task allowed); a body that is not an AdmissionReview
 * is a 400 naming what is wrong, an oversized one a 413, and the listener goes on answering.
 */
class WebhookVerticleTest {
  @TempDir static Path tmp;
  static Vertx vertx;
  static WebClient client;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    WebhookCerts certs = WebhookCerts.make(tmp.resolve("certs"));
    vertx = Vertx.vertx();
    WebhookVerticle webhook = new WebhookVerticle(Config.forTest(tmp.resolve("data"), certs.flags(WebhookCerts.freePort())));
    vertx.deployVerticle(webhook).await();
    port = webhook.port();
    client = WebClient.create(vertx, new WebClientOptions().setSsl(true)
        .setTrustOptions(new PemTrustOptions().addCertPath(certs.caCert().toString())));
  }

  @AfterAll
  static void stop() {
    vertx.close().await();
  }

  static HttpResponse<Buffer> post(Buffer body) {
    return client.post(port, "127.0.0.1", WebhookVerticle.PATH).putHeader("content-type", "application/json")
        .timeout(20_000).sendBuffer(body).await();
  }

  /** An AdmissionReview of {@code operation} on a DelayedTask {@code default/<name>} with this spec (JSON). */
  static JsonObject review(String operation, String name, String spec) {
    JsonObject object = new JsonObject().put("apiVersion", "nodepulse.dev/v1alpha1").put("kind", "DelayedTask")
        .put("metadata", new JsonObject().put("name", name).put("namespace", "default").put("uid", "u-1")
            .put("generation", 1).put("creationTimestamp", "2026-12-04T19:00:00Z")
            .put("annotations", new JsonObject().put("kubectl.kubernetes.io/last-applied-configuration", "{}"))
            .put("managedFields", new io.vertx.core.json.JsonArray().add(new JsonObject().put("manager", "kubectl"))))
        .put("spec", new JsonObject(spec));
    return new JsonObject().put("apiVersion", "admission.k8s.io/v1").put("kind", "AdmissionReview")
        .put("request", new JsonObject().put("uid", "req-" + name).put("operation", operation)
            .put("namespace", "default").put("name", name).put("object", object));
  }

  static JsonObject answer(JsonObject review) {
    HttpResponse<Buffer> r = post(review.toBuffer());
    assertThat(r.statusCode()).as(r.bodyAsString()).isEqualTo(200);
    JsonObject body = r.bodyAsJsonObject();
    assertThat(body.getString("apiVersion")).isEqualTo("admission.k8s.io/v1");
    assertThat(body.getString("kind")).isEqualTo("AdmissionReview");
    assertThat(body.getJsonObject("response").getString("uid")).isEqualTo(review.getJsonObject("request").getString("uid"));
    return body.getJsonObject("response");
  }

  static String refusal(String name, String spec) {
    JsonObject response = answer(review("CREATE", name, spec));
    assertThat(response.getBoolean("allowed")).isFalse();
    assertThat(response.getJsonObject("status").getInteger("code")).isEqualTo(422);
    return response.getJsonObject("status").getString("message");
  }

  @Test
  void aBadCronExpressionIsRefusedInTheAgentsWords() {
    assertThat(refusal("bad-cron", "{\"schedule\": \"61 * * * *\", \"target\": {\"compute\": {\"pi\": {\"digits\": 5}}}}"))
        .startsWith("DelayedTask default/bad-cron: spec.schedule: '61 * * * *' is not a valid 5-field cron expression");
  }

  @Test
  void aBadTimeZoneIsRefusedInTheAgentsWords() {
    assertThat(refusal("bad-zone", "{\"schedule\": \"0 3 * * *\", \"timeZone\": \"Mars/Olympus_Mons\", "
        + "\"target\": {\"compute\": {\"pi\": {\"digits\": 5}}}}"))
        .isEqualTo("DelayedTask default/bad-zone: spec.timeZone: 'Mars/Olympus_Mons' is not an IANA time zone name; "
            + "expected a name such as UTC, Europe/Paris or America/New_York (a fixed offset is an Etc name: Etc/GMT-5 "
            + "is UTC+5)");
  }

  @Test
  void aBadHeaderNameAndAHeaderValueOfTheWrongTypeAreRefusedByField() {
    String message = refusal("bad-headers", "{\"delay\": \"5s\", \"target\": {\"http\": {\"url\": \"http://shop:8080/x\", "
        + "\"headers\": {\"X Run\": \"1\"}}}}");
    assertThat(message).isEqualTo("DelayedTask default/bad-headers: spec.target.http.headers.X Run: is not a valid "
        + "header name (letters, digits and !#$%&'*+.^_`|~-)");
    JsonObject typed = answer(review("CREATE", "typed", "{\"delay\": \"5s\", \"target\": {\"http\": {\"url\": "
        + "\"http://shop:8080/x\", \"headers\": {\"X-Run\": 1}}}}"));
    assertThat(typed.getBoolean("allowed")).isFalse();
    assertThat(typed.getJsonObject("status").getString("message")).startsWith("DelayedTask default/typed: "
        + "spec.target.http.headers.X-Run: must be a string or {valueFrom:");
  }

  @Test
  void aValidTaskIsAllowedAndAnUpdateThatKeepsTheSpecToo() {
    String valid = "{\"schedule\": \"0 3 * * *\", \"timeZone\": \"Europe/Paris\", \"target\": {\"http\": {\"url\": "
        + "\"http://shop:8080/x\", \"headers\": {\"X-Run\": \"1\", \"Authorization\": {\"valueFrom\": {\"secretKeyRef\": "
        + "{\"name\": \"t\", \"key\": \"k\"}}}}}}}";
    JsonObject response = answer(review("CREATE", "valid", valid));
    assertThat(response.getBoolean("allowed")).isTrue();
    assertThat(response.containsKey("status")).isFalse();

    // a task stored while no agent answered, bad as it is: a label or finalizer change is not the webhook's to refuse
    String bad = "{\"schedule\": \"61 * * * *\", \"target\": {\"compute\": {\"pi\": {\"digits\": 5}}}}";
    JsonObject update = review("UPDATE", "stored-bad", bad);
    update.getJsonObject("request").put("oldObject", update.getJsonObject("request").getJsonObject("object").copy());
    assertThat(answer(update).getBoolean("allowed")).isTrue();
    // but a change of its spec is checked
    update.getJsonObject("request").getJsonObject("oldObject").getJsonObject("spec").put("schedule", "0 * * * *");
    assertThat(answer(update).getBoolean("allowed")).isFalse();
    // a deletion has no object of the agent's to check
    assertThat(answer(review("DELETE", "gone", bad)).getBoolean("allowed")).isTrue();
  }

  @Test
  void aBodyThatIsNotAnAdmissionReviewIsA400NamingWhatIsWrongAndTheListenerGoesOn() {
    HttpResponse<Buffer> garbage = post(Buffer.buffer("{\"apiVersion\": "));
    assertThat(garbage.statusCode()).isEqualTo(400);
    assertThat(garbage.bodyAsJsonObject().getString("error"))
        .isEqualTo("not an admission.k8s.io/v1 AdmissionReview: (body): not valid JSON (UTF-8)");
    assertThat(post(Buffer.buffer(new byte[] {'"', (byte) 0xC3, '"'})).statusCode()).as("not UTF-8").isEqualTo(400);
    HttpResponse<Buffer> list = post(Buffer.buffer("[1, 2]"));
    assertThat(list.statusCode()).isEqualTo(400);
    assertThat(list.bodyAsJsonObject().getString("error")).endsWith("(body): must be an AdmissionReview object (JSON), "
        + "not a list");

    JsonObject v1beta1 = review("CREATE", "x", "{}").put("apiVersion", "admission.k8s.io/v1beta1");
    HttpResponse<Buffer> old = post(v1beta1.toBuffer());
    assertThat(old.statusCode()).isEqualTo(400);
    assertThat(old.bodyAsJsonObject().getJsonObject("details").getString("field")).isEqualTo("apiVersion");
    assertThat(old.bodyAsJsonObject().getString("error")).contains("'admission.k8s.io/v1beta1' is not admission.k8s.io/v1");

    JsonObject noUid = review("CREATE", "x", "{}");
    noUid.getJsonObject("request").remove("uid");
    HttpResponse<Buffer> missing = post(noUid.toBuffer());
    assertThat(missing.statusCode()).isEqualTo(400);
    assertThat(missing.bodyAsJsonObject().getString("error")).contains("request.uid: null (absent) is not a request uid");

    JsonObject noObject = review("CREATE", "x", "{}");
    noObject.getJsonObject("request").put("object", "a task");
    assertThat(post(noObject.toBuffer()).bodyAsJsonObject().getString("error"))
        .contains("request.object: must be an object, not a string");

    // still answering
    assertThat(answer(review("CREATE", "after-garbage", "{\"delay\": \"5s\", \"target\": {\"compute\": {\"pi\": "
        + "{\"digits\": 5}}}}")).getBoolean("allowed")).isTrue();
  }

  @Test
  void anOversizedReviewIsRefusedBeforeItIsRead() {
    JsonObject huge = review("CREATE", "huge", "{\"delay\": \"5s\", \"target\": {\"compute\": {\"pi\": {\"digits\": 5}}}}");
    huge.getJsonObject("request").getJsonObject("object").put("padding", "x".repeat((int) WebhookVerticle.BODY_LIMIT));
    HttpResponse<Buffer> r = post(huge.toBuffer());
    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(r.bodyAsJsonObject().getString("details")).isEqualTo("an AdmissionReview is at most 1048576 bytes");
    HttpResponse<Buffer> wrongPath = client.get(port, "127.0.0.1", "/").timeout(20_000).send().await();
    assertThat(wrongPath.statusCode()).isEqualTo(404);
    assertThat(wrongPath.bodyAsJsonObject().getString("details")).isEqualTo("the webhook answers POST /validate/delayedtasks");
  }
}
