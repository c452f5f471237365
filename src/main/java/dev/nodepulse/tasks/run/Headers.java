package dev.nodepulse.tasks.run;

import dev.nodepulse.tasks.model.Target;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The secrets step applied to a target: every header of an http target as text (other targets have none). */
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
}
