package dev.nodepulse.tasks.status;

import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.Origin;

/**
 * A task as it is now (metadata, spec, status) and where it was declared. {@code deleted}: the task is gone
 * (its last view). {@code progressOnly}: only {@code status.progress} moved (sinks may throttle these).
 */
public record TaskChange(Origin origin, DelayedTask task, boolean deleted, boolean progressOnly) {}
