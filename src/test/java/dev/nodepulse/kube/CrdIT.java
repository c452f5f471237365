package dev.nodepulse.kube;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nodepulse.kube.crd.DelayedTaskResource;
import dev.nodepulse.tasks.model.Limits;
import dev.nodepulse.tasks.model.TaskReader;
import dev.nodepulse.tasks.model.TaskValidationException;
import io.fabric8.kubeapitest.junit.EnableKubeAPIServer;
import io.fabric8.kubeapitest.junit.KubeConfig;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The committed CRD, installed on a real kube-apiserver: the API server itself refuses invalid tasks at apply time
 * with a message that names the rule, {@code kubectl explain} shows the descriptions, and {@code kubectl get dtask}
 * shows the printer columns.
 */
@EnableKubeAPIServer(kubeAPIVersion = Kubectl.K8S_VERSION, apiServerFlags = {"--advertise-address", "127.0.0.1"})
class CrdIT {
  static KubernetesClient client;
  @KubeConfig static String kubeConfigYaml;
  @TempDir static Path dir;
  static Kubectl kubectl;

  @BeforeAll
  static void installCrd() throws Exception {
    TestCluster.installCrd(client);
    kubectl = new Kubectl(dir, kubeConfigYaml);
  }

  static String task(String name, String specBody) {
    return "apiVersion: nodepulse.dev/v1alpha1\nkind: DelayedTask\nmetadata: {name: " + name
        + ", namespace: default}\nspec:\n" + specBody.indent(2);
  }

  @Test
  void aValidTaskIsAccepted() throws Exception {
    Kubectl.Result r = kubectl.apply(task("warm-cache", """
        title: Warm the product cache
        delay: 1h30m
        target:
          http:
            url: http://api.shop:8080/warm
            method: POST
            headers:
              X-Run: "1"
              Authorization: {valueFrom: {secretKeyRef: {name: shop-token, key: token}}}
            body: '{"all":true}'
            timeout: 5s
        nodes: one
        nodeSelector: {kubernetes.io/os: linux}
        retry: {limit: 2, backoff: 2s}
        startingDeadline: 5m
        """));
    assertThat(r.exitCode()).as(r.err()).isZero();
    DelayedTaskResource back = client.resources(DelayedTaskResource.class).inNamespace("default")
        .withName("warm-cache").get();
    assertThat(back.getSpec().target.http.url).isEqualTo("http://api.shop:8080/warm");
    assertThat(back.getSpec().retry.limit).isEqualTo(2);
    assertThat(back.getSpec().retry.backoff).isEqualTo("2s");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      two timings        | delay: 5s\\nevery: 1m\\ntarget: {compute: {pi: {digits: 5}}}        | exactly one of delay, at, every, schedule is required
      no timing          | target: {compute: {pi: {digits: 5}}}                                | exactly one of delay, at, every, schedule is required
      two targets        | delay: 5s\\ntarget: {compute: {pi: {digits: 5}}, pipe: {name: p}}  | exactly one of http, tcp, pipe, compute is required
      empty target       | delay: 5s\\ntarget: {}                                              | exactly one of http, tcp, pipe, compute is required
      no target          | delay: 5s                                                           | spec.target: Required value
      digits too small   | delay: 5s\\ntarget: {compute: {pi: {digits: 0}}}                   | spec.target.compute.pi.digits: Invalid value: 0: spec.target.compute.pi.digits in body should be greater than or equal to 1
      digits too large   | delay: 5s\\ntarget: {compute: {pi: {digits: 1000001}}}             | should be less than or equal to 1000000
      delay beyond 365d  | delay: 366d\\ntarget: {compute: {pi: {digits: 5}}}                 | spec.delay: Invalid value: \"string\": must be 0s to 365d
      every below 1s     | every: 500ms\\ntarget: {compute: {pi: {digits: 5}}}                | spec.every: Invalid value: \"string\": must be 1s to 365d
      jitter beyond 1h   | every: 2h\\njitter: 61m\\ntarget: {compute: {pi: {digits: 5}}}   | spec.jitter: Invalid value: \"string\": must be 0s to 1h
      jitter not below every | every: 30s\\njitter: 30s\\ntarget: {compute: {pi: {digits: 5}}} | spec.jitter: Invalid value: \"object\": jitter must be less than every
      duration words     | delay: 5 minutes\\ntarget: {compute: {pi: {digits: 5}}}            | spec.delay: Invalid value: \"5 minutes\": spec.delay in body should match
      timeout too short  | delay: 5s\\ntarget: {tcp: {address: 'a:1', timeout: 5ms}}          | spec.target.tcp.timeout: Invalid value: \"string\": must be 10ms to 1h
      port out of range  | delay: 5s\\ntarget: {tcp: {address: 'a:70000'}}                    | the port must be 1 to 65535
      pipe leaves dir    | delay: 5s\\ntarget: {pipe: {name: ..x}}                            | must not contain '..'
      bad method         | delay: 5s\\ntarget: {http: {url: 'http://a/', method: BREW}}       | supported values: \"DELETE\", \"GET\"
      not a url          | delay: 5s\\ntarget: {http: {url: 'ftp://a/'}}                      | spec.target.http.url in body should match
      zone without cron  | every: 5s\\ntimeZone: UTC\\ntarget: {compute: {pi: {digits: 5}}}  | spec.timeZone: Invalid value: \"object\": timeZone is only allowed with schedule
      cron prefix        | schedule: CRON_TZ=UTC 0 * * * *\\ntarget: {compute: {pi: {digits: 5}}} | time zone prefixes are not accepted; put the zone in spec.timeZone
      cron fields        | schedule: '* * *'\\ntarget: {compute: {pi: {digits: 5}}}           | spec.schedule in body should match
      at without offset  | at: '2026-11-23T18:30:00'\\ntarget: {compute: {pi: {digits: 5}}}  | must be an RFC 3339 time with an offset
      nodes word         | delay: 5s\\nnodes: some\\ntarget: {compute: {pi: {digits: 5}}}     | supported values: \"all\", \"one\"
      retry limit        | delay: 5s\\nretry: {limit: 11}\\ntarget: {compute: {pi: {digits: 5}}} | spec.retry.limit in body should be less than or equal to 10
      unknown field      | delay: 5s\\nfoo: 1\\ntarget: {compute: {pi: {digits: 5}}}          | unknown field \"spec.foo\"
      """)
  void anInvalidTaskIsRefusedAtApply(String name, String spec, String message) throws Exception {
    String dns = name.replace(' ', '-');
    Kubectl.Result r = kubectl.apply(task(dns, spec.replace("\\n", "\n")));
    assertThat(r.exitCode()).as("kubectl apply of %s: %s", name, r.out()).isNotZero();
    assertThat(r.err()).contains(message);
    assertThat(client.resources(DelayedTaskResource.class).inNamespace("default").withName(dns).get()).isNull();
  }

  /**
   * One meaning of a length on both sides: the API server (maxLength, CEL's size()) and the agent's validator accept a
   * text of exactly the bound in characters outside the Basic Multilingual Plane (four UTF-8 bytes, two UTF-16 units
   * each) and refuse one character more, naming the same field.
   */
  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', textBlock = """
      title        | spec.title        | title: '%s'\\ndelay: 5s\\ntarget: {compute: {pi: {digits: 5}}}
      nodeSelector | spec.nodeSelector | nodeSelector: {zone: '%s'}\\ndelay: 5s\\ntarget: {compute: {pi: {digits: 5}}}
      """)
  void theApiServerAndTheAgentCountCharactersAlike(String name, String field, String spec) throws Exception {
    int limit = name.equals("title") ? Limits.TITLE : Limits.LABEL_VALUE;
    String wide = "\uD83D\uDE00";
    String lines = spec.replace("\\n", "\n");
    String at = task("wide-" + name.toLowerCase(java.util.Locale.ROOT), lines.formatted(wide.repeat(limit)));
    String over = task("over-" + name.toLowerCase(java.util.Locale.ROOT), lines.formatted(wide.repeat(limit + 1)));

    Kubectl.Result accepted = kubectl.apply(at);
    assertThat(accepted.exitCode()).as(accepted.err()).isZero();
    TaskReader.read(at, TaskReader.Format.YAML); // the agent accepts it too (throws otherwise)

    Kubectl.Result refused = kubectl.apply(over);
    assertThat(refused.exitCode()).as(refused.out()).isNotZero();
    assertThat(refused.err()).contains(field);
    assertThatThrownBy(() -> TaskReader.read(over, TaskReader.Format.YAML))
        .isInstanceOfSatisfying(TaskValidationException.class, e -> assertThat(e.errors().getFirst().field())
            .startsWith(field));
  }

  @Test
  void explainShowsTheDescriptions() throws Exception {
    Kubectl.Result spec = kubectl.run(null, "explain", "delayedtask.spec");
    assertThat(spec.exitCode()).as(spec.err()).isZero();
    assertThat(spec.out()).contains("exactly one timing (delay, at, every, schedule)")
        .contains("startingDeadline").contains("MISSED instead of run late");
    Kubectl.Result digits = kubectl.run(null, "explain", "dtask.spec.target.compute.pi.digits");
    assertThat(digits.out()).contains("Decimal digits: 1 to 1000000");
  }

  @Test
  void getShowsThePrinterColumns() throws Exception {
    assertThat(kubectl.apply(task("columns", "every: 5m\ntarget: {compute: {pi: {digits: 5}}}")).exitCode()).isZero();
    DelayedTaskResource t = client.resources(DelayedTaskResource.class).inNamespace("default").withName("columns").get();
    var status = new dev.nodepulse.kube.crd.Status();
    status.phase = dev.nodepulse.kube.crd.Status.Phase.Scheduled;
    status.schedule = "every 5m";
    status.nextRunAt = "2026-11-30T04:05:00Z";
    status.runs = 7L;
    status.claimedBy = "node-a";
    status.lastRun = new dev.nodepulse.kube.crd.Status.LastRun();
    status.lastRun.outcome = "SUCCEEDED";
    status.lastRun.node = "node-b";
    status.summary = "succeeded on node-b";
    t.setStatus(status);
    client.resource(t).updateStatus();

    Kubectl.Result r = kubectl.run(null, "get", "dtask", "-n", "default", "columns");
    assertThat(r.exitCode()).as(r.err()).isZero();
    String[] lines = r.out().strip().split("\n");
    // in the order DelayedTaskResource declares them (the generator alone would sort them by JSON path)
    assertThat(lines[0].split("\\s{2,}")).containsExactly("NAME", "PHASE", "SCHEDULE", "NEXT RUN", "RUNS",
        "LAST OUTCOME", "CLAIMED BY", "SUSPENDED", "SUMMARY", "AGE");
    assertThat(lines[1].split("\\s{2,}")).containsSequence("columns", "Scheduled", "every 5m", "2026-11-30T04:05:00Z",
        "7", "SUCCEEDED", "node-a", "false", "succeeded on node-b");
    Kubectl.Result wide = kubectl.run(null, "get", "dtask", "-n", "default", "columns", "-o", "wide");
    assertThat(wide.out().strip().split("\n")[0].split("\\s{2,}")).as("the node of the last attempt: -o wide")
        .containsExactly("NAME", "PHASE", "SCHEDULE", "NEXT RUN", "RUNS", "LAST OUTCOME", "CLAIMED BY", "SUSPENDED",
            "SUMMARY",
            "LAST NODE", "AGE");
    Kubectl.Result all = kubectl.run(null, "get", "all", "-n", "default");
    assertThat(all.out()).as("category all is left out").doesNotContain("delayedtask");
  }
}
