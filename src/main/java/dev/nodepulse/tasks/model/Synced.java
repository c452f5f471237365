package dev.nodepulse.tasks.model;

/**
 * A source of {@code kind} has declared everything it has (its first complete listing). Stored state of that
 * kind's tasks it did not declare (removed while the agent was down) is then forgotten, so a task added again
 * later starts afresh. Sent on {@code nodepulse.tasks.synced}; the answer is {@code {"forgotten": n}}.
 */
public record Synced(Origin.Kind kind) {}
