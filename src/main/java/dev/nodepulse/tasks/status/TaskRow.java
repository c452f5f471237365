package dev.nodepulse.tasks.status;

/**
 * One task's persisted state. {@code source} is the origin kind's label ({@code file}, {@code rest}, ...) and
 * {@code sourceKey} the origin's id; {@code object} is the DelayedTask JSON without status (REST tasks only,
 * which have no other home); times in epoch ms. {@code runningDue}: the due time of a run that was started
 * and not yet recorded as finished (set, durably, before the target is called). {@code missed}: the due times
 * not run, and {@code lastMissed} the latest burst of them as status JSON; {@code skipped} and {@code lastSkipped} alike.
 */
public record TaskRow(String key, String source, String sourceKey, String object, String specHash, long generation,
    long firstSeen, Long nextRunAt, long runs, long attempts, String phase, String lastRun, boolean done,
    Long runningDue, long missed, String lastMissed, long skipped, String lastSkipped) {}
