package dev.nodepulse.usage;

import dev.nodepulse.usage.Cgroups.Counters;
import dev.nodepulse.usage.Cgroups.Group;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * CPU use per group between two scans, from the counters' differences. {@code cpuPercent} is of one CPU (as the
 * processes' figure: a pod busy on two cores shows 200). A group seen for the first time, or whose usage went
 * back (a group of that path made anew), has {@code cpuPercent} null for that interval, never a wrong number;
 * a group that went away is forgotten.
 */
final class CpuUsage {
  private record Seen(Counters counters, long atNanos) {}

  private Map<String, Seen> previous = new HashMap<>();

  /** Pod names by uid and container names by id, from the API server (Kubernetes mode); empty standalone. */
  record Names(String namespace, String name, Map<String, String> containers) {}

  /**
   * One sample: the groups with their counters read at {@code atNanos} (System.nanoTime), named from
   * {@code names}. Returns {@code {"items": [pods...], "cgroups": [other groups...]}}, each sorted by CPU (highest
   * first, new groups last).
   */
  JsonObject sample(Map<Group, Counters> read, long atNanos, Map<String, Names> names) {
    Map<String, Seen> now = new HashMap<>();
    Map<String, JsonObject> pods = new LinkedHashMap<>();
    List<JsonObject> cgroups = new ArrayList<>();
    List<Map.Entry<Group, JsonObject>> containers = new ArrayList<>();
    for (Map.Entry<Group, Counters> e : read.entrySet()) {
      Group g = e.getKey();
      Counters c = e.getValue();
      now.put(g.path(), new Seen(c, atNanos));
      JsonObject o = figures(c, previous.get(g.path()), atNanos).put("cgroup", g.path());
      if (g.isPod()) {
        Names n = names.get(g.podUid());
        o.put("uid", g.podUid()).put("qos", g.qos())
            .put("namespace", n == null ? null : n.namespace()).put("name", n == null ? null : n.name())
            .put("containers", new JsonArray());
        if (c.pressure() != null) {
          o.put("pressure", c.pressure().toJson());
        }
        pods.put(g.podUid(), o);
      } else if (g.podUid() != null) {
        Names n = names.get(g.podUid());
        o.put("id", g.containerId()).put("name", n == null ? null : n.containers().get(g.containerId()));
        containers.add(Map.entry(g, o));
      } else {
        cgroups.add(o);
      }
    }
    for (Map.Entry<Group, JsonObject> c : containers) {
      JsonObject pod = pods.get(c.getKey().podUid());
      if (pod != null) {
        pod.getJsonArray("containers").add(c.getValue());
      }
    }
    previous = now;
    List<JsonObject> items = new ArrayList<>(pods.values());
    items.forEach(p -> p.put("containers", sorted(p.getJsonArray("containers").stream().map(JsonObject.class::cast).toList())));
    return new JsonObject().put("items", sorted(items)).put("cgroups", sorted(cgroups));
  }

  private static JsonObject figures(Counters c, Seen before, long atNanos) {
    JsonObject throttling = new JsonObject().put("periods", c.periods()).put("throttledPeriods", c.throttledPeriods())
        .put("throttledSeconds", c.throttledMicros() / 1e6);
    Double cpu = null;
    Double throttledPercent = null;
    if (before != null && atNanos > before.atNanos() && c.usageMicros() >= before.counters().usageMicros()) {
      double micros = (atNanos - before.atNanos()) / 1000.0;
      cpu = round((c.usageMicros() - before.counters().usageMicros()) / micros * 100);
      long periods = c.periods() - before.counters().periods();
      long throttled = c.throttledPeriods() - before.counters().throttledPeriods();
      throttledPercent = periods > 0 && throttled >= 0 && throttled <= periods ? round(100.0 * throttled / periods) : 0.0;
    }
    return new JsonObject().put("cpuPercent", cpu).put("throttledPercent", throttledPercent)
        .put("usageSeconds", c.usageMicros() / 1e6).put("throttling", throttling);
  }

  private static JsonArray sorted(List<JsonObject> list) {
    List<JsonObject> copy = new ArrayList<>(list);
    copy.sort(Comparator.comparingDouble((JsonObject o) -> o.getDouble("cpuPercent") == null ? -1 : o.getDouble("cpuPercent"))
        .reversed().thenComparing(o -> o.getString("cgroup")));
    return new JsonArray(new ArrayList<>(copy));
  }

  private static double round(double v) {
    return Math.round(v * 100) / 100.0;
  }
}
