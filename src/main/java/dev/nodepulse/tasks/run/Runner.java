package dev.nodepulse.tasks.run;

import dev.nodepulse.tasks.model.Progress;
import dev.nodepulse.tasks.model.Target;
import dev.nodepulse.tasks.target.Execution;
import java.util.Map;
import java.util.function.Consumer;

/** Starts one attempt against a target: the real {@code Targets}, or a stand-in in unit tests. */
@FunctionalInterface
public interface Runner {
  Execution start(Target target, Map<String, String> headers, Consumer<Progress> onProgress);
}
