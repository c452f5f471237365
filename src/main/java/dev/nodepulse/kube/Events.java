package dev.nodepulse.kube;

import dev.nodepulse.kube.wire.EventBacklog;
import dev.nodepulse.kube.wire.Problems;
import dev.nodepulse.kube.wire.Reachability;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events about tasks: Normal for runs, Warning for failures and invalid specs. An Event that cannot be
 * written because the API server is away is kept ({@link EventBacklog}: one per object and reason, with a count and
 * the first and last times) and written once it is back ({@link #flush}), at most {@link #FLUSH_AT_ONCE} at a time.
 * Blocking: call off the loop.
 */
final class Events {
  private static final Logger LOG = LoggerFactory.getLogger(Events.class);
  /** Kept Events written per flush; the rest wait for the next (a renewal period later). */
  static final int FLUSH_AT_ONCE = 50;

  private Events() {}

  static void emit(KubeLink link, HasMetadata about, String type, String reason, String message) {
    if (link.client == null) {
      return;
    }
    Instant now = link.clock.instant();
    ObjectReference ref = new ObjectReferenceBuilder().withApiVersion(about.getApiVersion()).withKind(about.getKind())
        .withName(about.getMetadata().getName()).withNamespace(about.getMetadata().getNamespace())
        .withUid(about.getMetadata().getUid()).withResourceVersion(about.getMetadata().getResourceVersion()).build();
    String text = message.length() > 1000 ? message.substring(0, 1000) : message;
    try {
      write(link, event(link, ref, type, reason, now, now, 1, text));
    } catch (RuntimeException e) {
      if (Reachability.recovers(e)) {
        link.reach.failed(e); // the outage is told once; this Event waits for the API server
        link.events.add(ref, type, reason, now, text);
        return;
      }
      LOG.warn("cannot record an Event on {}/{}: {}", ref.getNamespace(), ref.getName(), Problems.describe(e));
      return;
    }
    flush(link); // the API server answers: what was kept while it was away goes too
  }

  /** Writes what was kept while the API server was away (some of it: {@link #FLUSH_AT_ONCE}); blocking. */
  static void flush(KubeLink link) {
    if (link.client == null || link.events.isEmpty()) {
      return;
    }
    List<EventBacklog.Pending> batch = link.events.take(FLUSH_AT_ONCE);
    for (int i = 0; i < batch.size(); i++) {
      EventBacklog.Pending p = batch.get(i);
      String text = p.message();
      try {
        write(link, event(link, p.about(), p.type(), p.reason(), p.first(), p.last(), p.count(),
            text.length() > 1000 ? text.substring(0, 1000) : text));
      } catch (RuntimeException e) {
        if (Reachability.recovers(e)) {
          link.reach.failed(e);
          link.events.putBack(batch.subList(i, batch.size()));
          return;
        }
        LOG.warn("cannot record an Event on {}/{}: {}", p.about().getNamespace(), p.about().getName(),
            Problems.describe(e));
      }
    }
  }

  private static Event event(KubeLink link, ObjectReference ref, String type, String reason, Instant first,
      Instant last, int count, String message) {
    return new EventBuilder().withNewMetadata()
        .withName(ref.getName() + "." + UUID.randomUUID().toString().substring(0, 8))
        .withNamespace(ref.getNamespace()).endMetadata()
        .withInvolvedObject(ref).withType(type).withReason(reason).withMessage(message)
        .withFirstTimestamp(first.toString()).withLastTimestamp(last.toString()).withCount(count)
        .withNewSource().withComponent("nodepulse").withHost(link.node()).endSource()
        .withReportingComponent("nodepulse.dev/agent").withReportingInstance(link.node())
        .build();
  }

  private static void write(KubeLink link, Event event) {
    link.client.v1().events().inNamespace(event.getMetadata().getNamespace()).resource(event).create();
  }
}
