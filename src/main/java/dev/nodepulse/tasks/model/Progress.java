package dev.nodepulse.tasks.model;

import com.fasterxml.jackson.annotation.JsonInclude;

/** Progress of a running compute task: {@code percent} 0-100 and an intermediate value (pi so far). */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record Progress(int percent, String intermediate) {}
