package dev.nodepulse.tasks.model;

/**
 * A source no longer declares what it declared under {@code origin} (a file deleted, a CR or ConfigMap key
 * removed, a REST delete of {@code key}). Sent on {@code nodepulse.tasks.withdraw}. {@code key} is the
 * {@code namespace/name} the source believes it declared (for the error when another origin owns it).
 */
public record Withdrawal(Origin origin, String key) {}
