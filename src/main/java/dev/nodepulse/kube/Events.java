package dev.nodepulse.kube;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Kubernetes Events about tasks: Normal for runs, Warning for failures and invalid specs. Blocking: call off the loop. */
final class Events {
  private static final Logger LOG = LoggerFactory.getLogger(Events.class);

  private Events() {}

  static void emit(KubeLink link, HasMetadata about, String type, String reason, String message) {
    if (link.client == null) {
      return;
    }
    String now = link.clock.instant().toString();
    var ref = new ObjectReferenceBuilder().withApiVersion(about.getApiVersion()).withKind(about.getKind())
        .withName(about.getMetadata().getName()).withNamespace(about.getMetadata().getNamespace())
        .withUid(about.getMetadata().getUid()).withResourceVersion(about.getMetadata().getResourceVersion()).build();
    var event = new EventBuilder().withNewMetadata()
        .withName(about.getMetadata().getName() + "." + UUID.randomUUID().toString().substring(0, 8))
        .withNamespace(about.getMetadata().getNamespace()).endMetadata()
        .withInvolvedObject(ref).withType(type).withReason(reason)
        .withMessage(message.length() > 1000 ? message.substring(0, 1000) : message)
        .withFirstTimestamp(now).withLastTimestamp(now).withCount(1)
        .withNewSource().withComponent("nodepulse").withHost(link.node()).endSource()
        .withReportingComponent("nodepulse.dev/agent").withReportingInstance(link.node())
        .build();
    try {
      link.client.v1().events().inNamespace(about.getMetadata().getNamespace()).resource(event).create();
    } catch (RuntimeException e) {
      if (Reachability.recovers(e)) {
        link.reach.failed(e); // the outage is told once; this Event is lost
        return;
      }
      LOG.warn("cannot record an Event on {}/{}: {}", about.getMetadata().getNamespace(),
          about.getMetadata().getName(), Problems.describe(e));
    }
  }
}
