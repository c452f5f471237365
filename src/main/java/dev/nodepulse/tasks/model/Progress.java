package dev.nodepulse.tasks.model;

/** Progress of a running compute task: {@code percent} 0-100 and an intermediate value (pi so far). */
public record Progress(int percent, String intermediate) {}
