package dev.nodepulse.tasks.status;

import dev.nodepulse.tasks.model.ClusterStatus;
import dev.nodepulse.tasks.model.DelayedTask;
import dev.nodepulse.tasks.model.TaskJson;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Each task's status as the cluster shows it (Kubernetes mode: {@link ClusterStatus}, told by the cluster side),
 * merged into what this agent shows (REST, the page): the {@code status} of a DelayedTask or of a ConfigMap task is
 * the cluster's, so a run made on another node is shown as it ended there, and this agent's own account is beside
 * it as {@code status.local} ({@code node}, {@code phase}, {@code runs}, {@code attempts}, {@code nextRunAt},
 * {@code lastRun}, {@code progress}: the runs made here, whose history and output this agent serves). A task the
 * cluster has no status of is shown as this agent knows it. Touched on the pipeline's event loop only; holds one
 * entry per task the cluster has (an object gone is told with a null status).
 */
public final class ClusterStatuses {
  private static final List<String> LOCAL = List.of("phase", "runs", "attempts", "nextRunAt", "lastRun", "progress");

  private final String node;
  private final Map<String, ClusterStatus> byKey = new HashMap<>();

  public ClusterStatuses(String node) {
    this.node = node;
  }

  /** Keeps what the cluster says of one task (a null status forgets it). */
  public void put(ClusterStatus s) {
    if (s.status() == null) {
      byKey.remove(s.key());
    } else {
      byKey.put(s.key(), s);
    }
  }

  /** The cluster's status of this very task (a DelayedTask: the same uid), or null. */
  public JsonObject of(DelayedTask t) {
    ClusterStatus c = byKey.get(t.key());
    return c == null || !Objects.equals(c.uid(), t.metadata().uid()) ? null : c.status();
  }

  /** The task as JSON ({@link TaskJson}): its status the cluster's when it has one, this agent's own beside it. */
  public JsonObject json(DelayedTask t) {
    JsonObject o = TaskJson.toJson(t);
    JsonObject cluster = of(t);
    if (cluster == null || t.status() == null || t.spec() == null) {
      return o; // an unreadable declaration is shown as this agent read it (its Valid condition names the field)
    }
    JsonObject own = o.getJsonObject("status");
    JsonObject local = new JsonObject().put("node", node);
    for (String f : LOCAL) {
      if (own.containsKey(f)) {
        local.put(f, own.getValue(f));
      }
    }
    JsonObject status = cluster.copy();
    status.put("phase", status.getString("phase", "Pending"));
    status.put("runs", status.getLong("runs", 0L));
    status.put("attempts", status.getLong("attempts", 0L));
    status.put("conditions", status.getJsonArray("conditions", new JsonArray()));
    if (!status.containsKey("progress") && own.containsKey("progress")) {
      status.put("progress", own.getValue("progress")); // a computation running here: its progress is only here
    }
    status.put("local", local);
    return o.put("status", status);
  }
}
