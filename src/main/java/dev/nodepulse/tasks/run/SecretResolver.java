package dev.nodepulse.tasks.run;

import dev.nodepulse.tasks.model.Target;
import io.vertx.core.Future;
import java.util.function.Function;

/**
 * The secrets step: a header value that is a reference is resolved just before the run (never stored).
 * Standalone ({@link #environment}): {@code valueFrom.env} reads the agent's environment and
 * {@code valueFrom.secretKeyRef} fails with "needs --mode kubernetes". Kubernetes mode plugs in a resolver that
 * reads Secrets in the task's namespace (and may fall back to this one for env refs).
 *
 * <p>Called on the pipeline's event loop; a failed future's message becomes the run's error (it names the
 * header and the reference, never a value).
 */
public interface SecretResolver {

  /** The text of one reference ({@link Target.EnvRef} or {@link Target.SecretKeyRef}) for task {@code namespace}. */
  Future<String> resolve(String namespace, String header, Target.HeaderValue ref);

  /** Standalone: env refs from {@code env}, secretKeyRef refused. */
  static SecretResolver environment(Function<String, String> env) {
    return (namespace, header, ref) -> switch (ref) {
      case Target.Plain p -> Future.succeededFuture(p.value());
      case Target.EnvRef r -> {
        String v = env.apply(r.name());
        yield v == null
            ? Future.failedFuture("header " + header + ": environment variable " + r.name() + " is not set")
            : Future.succeededFuture(v);
      }
      case Target.SecretKeyRef s -> Future.failedFuture("header " + header + ": secretKeyRef " + s.name() + "/"
          + s.key() + " needs --mode kubernetes; use valueFrom.env in standalone mode");
    };
  }
}
