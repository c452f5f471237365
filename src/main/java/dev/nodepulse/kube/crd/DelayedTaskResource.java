package dev.nodepulse.kube.crd;

import com.fasterxml.jackson.annotation.JsonClassDescription;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * The DelayedTask custom resource as it travels to and from the API server: a thin shell over {@link Spec} and
 * {@link Status}. The CRD {@code delayedtasks.nodepulse.dev} is generated from these classes at build time.
 * These are wire classes only: a task is validated once, by the task pipeline's reader, into its own records.
 */
@Group("nodepulse.dev")
@Version("v1alpha1")
@Kind("DelayedTask")
@Plural("delayedtasks")
@Singular("delayedtask")
@ShortNames("dtask")
@JsonClassDescription("A task the nodepulse agents run after a delay, at a time, every interval or on a cron "
    + "schedule: an HTTP request, a TCP write, a write to a named pipe on the node, or a computation.")
// kubectl get dtask shows these in this order: the generator sorts them by JSON path, so CrdDriftTest puts the
// chart's copy of the CRD in the order declared here (priority 1: only with -o wide)
@AdditionalPrinterColumn(name = "Phase", jsonPath = ".status.phase", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Schedule", jsonPath = ".status.schedule", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Next Run", jsonPath = ".status.nextRunAt", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Runs", jsonPath = ".status.runs", type = AdditionalPrinterColumn.Type.INTEGER)
@AdditionalPrinterColumn(name = "Last Outcome", jsonPath = ".status.lastRun.outcome",
    type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Claimed By", jsonPath = ".status.claimedBy", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Suspended", jsonPath = ".spec.suspend", type = AdditionalPrinterColumn.Type.BOOLEAN)
@AdditionalPrinterColumn(name = "Summary", jsonPath = ".status.summary", type = AdditionalPrinterColumn.Type.STRING)
@AdditionalPrinterColumn(name = "Last Node", jsonPath = ".status.lastRun.node", type = AdditionalPrinterColumn.Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = AdditionalPrinterColumn.Type.DATE)
public class DelayedTaskResource extends CustomResource<Spec, Status> implements Namespaced {
  private static final long serialVersionUID = 1L;
}
