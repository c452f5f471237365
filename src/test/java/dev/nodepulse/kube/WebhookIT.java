package dev.nodepulse.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.Agent;
import dev.nodepulse.config.Config;
import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.web.WebhookCerts;
import dev.nodepulse.web.WebhookVerticle;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfiguration;
import io.fabric8.kubernetes.api.model.admissionregistration.v1.ValidatingWebhookConfigurationBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The admission webhook on a real kube-apiserver, registered as the chart registers it (failurePolicy Ignore): with
 * an agent serving it, {@code kubectl apply} of a task with a bad cron expression or a bad time zone (which the CRD's
 * schema and CEL cannot check) is refused with the agent's own message; with no agent answering, the same tasks are
 * accepted (and would fail in status, as without the webhook).
 */
@EnableKubeAPIServer(kubeAPIVersion = Kubectl.K8S_VERSION, apiServerFlags = {"--advertise-address", "127.0.0.1"})
class WebhookIT {
  static KubernetesClient client;
  @KubeConfig static String kubeConfigYaml;
  @TempDir static Path dir;
  static Kubectl kubectl;

  @BeforeAll
  static void cluster() throws Exception {
    TestCluster.installCrd(client);
    kubectl = new Kubectl(dir, kubeConfigYaml);
  }

  static String task(String name, String spec) {
    return CrdIT.task(name, spec);
  }

  static final String BAD_CRON = "schedule: '61 * * * *'\ntarget: {compute: {pi: {digits: 5}}}";
  static final String BAD_ZONE = "schedule: '0 3 * * *'\ntimeZone: Mars/Olympus_Mons\ntarget: {compute: {pi: {digits: 5}}}";

  static ValidatingWebhookConfiguration registration(int port, String caBundle) {
    return new ValidatingWebhookConfigurationBuilder().withNewMetadata().withName("nodepulse").endMetadata()
        .addNewWebhook().withName("delayedtasks.nodepulse.dev")
        .withNewClientConfig().withUrl("https://127.0.0.1:" + port + WebhookVerticle.PATH).withCaBundle(caBundle)
        .endClientConfig()
        .addNewRule().withApiGroups("nodepulse.dev").withApiVersions("v1alpha1").withResources("delayedtasks")
        .withOperations("CREATE", "UPDATE").withScope("Namespaced").endRule()
        .withFailurePolicy("Ignore").withSideEffects("None").withAdmissionReviewVersions("v1").withTimeoutSeconds(10)
        .endWebhook().build();
  }

  @Test
  void kubectlApplyIsRefusedInTheAgentsWordsWhileAnAgentAnswersAndAcceptedWhenNoneDoes() throws Exception {
    WebhookCerts certs = WebhookCerts.make(dir.resolve("certs"));
    int port = WebhookCerts.freePort();
    Agent agent = Agent.start(Config.forTest(dir.resolve("data"), certs.flags(port))).await();
    client.resource(registration(port, certs.caBundle())).create();

    // the API server takes up a new registration within a moment: asked in dry runs until it refuses
    await().atMost(60, TimeUnit.SECONDS).pollInterval(1, TimeUnit.SECONDS).until(() ->
        kubectl.run(task("probe", BAD_CRON), "apply", "--dry-run=server", "-f", "-").exitCode() != 0);

    Kubectl.Result cron = kubectl.apply(task("bad-cron", BAD_CRON));
    assertThat(cron.exitCode()).as(cron.out()).isNotZero();
    assertThat(cron.err()).contains("admission webhook \"delayedtasks.nodepulse.dev\" denied the request: "
        + "DelayedTask default/bad-cron: spec.schedule: '61 * * * *' is not a valid 5-field cron expression");
    Kubectl.Result zone = kubectl.apply(task("bad-zone", BAD_ZONE));
    assertThat(zone.exitCode()).as(zone.out()).isNotZero();
    assertThat(zone.err()).contains("admission webhook \"delayedtasks.nodepulse.dev\" denied the request: "
        + "DelayedTask default/bad-zone: spec.timeZone: 'Mars/Olympus_Mons' is not an IANA time zone name");
    assertThat(client.resources(DelayedTaskResource.class).inNamespace("default").withName("bad-cron").get()).isNull();

    Kubectl.Result valid = kubectl.apply(task("nightly", "schedule: '0 3 * * *'\ntimeZone: Europe/Paris\n"
        + "target: {compute: {pi: {digits: 5}}}"));
    assertThat(valid.exitCode()).as(valid.err()).isZero();
    // an update of a valid task to a bad spec is refused too; the stored task keeps its schedule
    Kubectl.Result update = kubectl.apply(task("nightly", BAD_CRON));
    assertThat(update.exitCode()).isNotZero();
    assertThat(update.err()).contains("denied the request: DelayedTask default/nightly: spec.schedule:");
    assertThat(client.resources(DelayedTaskResource.class).inNamespace("default").withName("nightly").get()
        .getSpec().schedule).isEqualTo("0 3 * * *");

    agent.stop().await(); // no agent answers: failurePolicy Ignore lets the API server store the tasks
    Kubectl.Result cronAccepted = kubectl.apply(task("bad-cron", BAD_CRON));
    assertThat(cronAccepted.exitCode()).as(cronAccepted.err()).isZero();
    Kubectl.Result zoneAccepted = kubectl.apply(task("bad-zone", BAD_ZONE));
    assertThat(zoneAccepted.exitCode()).as(zoneAccepted.err()).isZero();
    assertThat(client.resources(DelayedTaskResource.class).inNamespace("default").withName("bad-zone").get()
        .getSpec().timeZone).isEqualTo("Mars/Olympus_Mons");
  }
}
