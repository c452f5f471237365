package dev.nodepulse.tasks.run;

import dev.nodepulse.tasks.model.Target;
import io.vertx.core.Future;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The secrets step applied to a target: every header of an http target as text (other targets have none); then
 * the run's idempotency key.
 */
final class Headers {
  private Headers() {}

  static Future<Map<String, String>> resolve(SecretResolver resolver, String namespace, Target target) {
    if (!(target instanceof Target.Http h) || h.headers().isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    List<String> names = new ArrayList<>(h.headers().keySet());
    List<Future<String>> values = new ArrayList<>();
    for (String name : names) {
      Target.HeaderValue v = h.headers().get(name);
      values.add(v instanceof Target.Plain p ? Future.succeededFuture(p.value())
          : resolver.resolve(namespace, name, v));
    }
    return Future.all(values).map(all -> {
      Map<String, String> out = new LinkedHashMap<>();
      for (int i = 0; i < names.size(); i++) {
        out.put(names.get(i), values.get(i).result());
      }
      return out;
    });
  }

  /**
   * The resolved headers of an http target with the run's idempotency key added: {@code task} (a DelayedTask's
   * uid in a cluster, else {@code namespace/name}) and the due time in RFC 3339, the same on every retry of that
   * due time; {@code node} (a {@code nodes: all} task, run once per node) is added after the due time.
   */
  static Map<String, String> withIdempotencyKey(Map<String, String> resolved, String task, Instant due,
      String node) {
    Map<String, String> out = new LinkedHashMap<>(resolved);
    out.put(Target.Http.IDEMPOTENCY_KEY, task + "/" + due + (node == null ? "" : "/" + node));
    return out;
  }
}
