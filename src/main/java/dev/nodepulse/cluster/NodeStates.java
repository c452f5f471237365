package dev.nodepulse.cluster;

import dev.nodepulse.bus.AgentLeases;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * The cluster view's rows: the agents' Leases merged with what their peers last answered, as a pure function of
 * both and {@code now} (tested on a fixed clock in NodeStatesTest). A node's state:
 * <ul>
 *   <li>{@code Stopped}: its Lease was removed (the agent deletes it when it stops; the others remove the Lease of
 *   an agent that lets its turn to claim a run pass), shown for {@link #LEFT_SHOWN} after;</li>
 *   <li>{@code Unreachable}: its Lease names no peer address, or its last request failed (the reason says how);</li>
 *   <li>{@code Unknown}: not asked yet, or no answer for {@link #STALE};</li>
 *   <li>{@code Ready}: a fresh answer.</li>
 * </ul>
 * This agent's own node is never Stopped or Unreachable (its figures are read locally). Figures are the last good
 * ones, whatever the state ({@code sampledAt} tells their age).
 */
final class NodeStates {
  /** An answer older than this is not shown as Ready. */
  static final Duration STALE = Duration.ofSeconds(10);
  /** How long a node whose Lease was removed stays in the view, Stopped. */
  static final Duration LEFT_SHOWN = Duration.ofMinutes(10);

  enum State { Ready, Stopped, Unreachable, Unknown }

  /** What is known of one node: its last good figures and when they came, its last failure (null: none since). */
  record Known(Figures figures, Instant answeredAt, String error) {
    static Known answered(Figures figures, Instant at) {
      return new Known(figures, at, null);
    }

    Known failed(String why) {
      return new Known(figures, answeredAt, why);
    }

    static Known failedFirst(String why) {
      return new Known(null, null, why);
    }
  }

  /** One row of the view. */
  record Row(String node, State state, Figures figures, String reason) {
    JsonObject toJson() {
      JsonObject row = new JsonObject().put("node", node).put("state", state.name());
      (figures == null ? new Figures(null, null, null, null, null, null) : figures).into(row);
      if (reason != null) {
        row.put("reason", reason);
      }
      return row;
    }
  }

  private NodeStates() {}

  /**
   * A row per Lease (and for {@code self}, Lease or not), and per node whose Lease was removed at most
   * {@link #LEFT_SHOWN} ago ({@code left}: when each was last seen gone), by node name.
   */
  static List<Row> merge(String self, List<AgentLeases.Peer> leases, Map<String, Known> known,
      Map<String, Instant> left, Instant now) {
    List<Row> rows = new ArrayList<>();
    boolean selfSeen = false;
    for (AgentLeases.Peer lease : leases) {
      selfSeen |= lease.node().equals(self);
      rows.add(row(self, lease, known.get(lease.node()), now));
    }
    left.forEach((node, at) -> {
      Known k = known.get(node);
      if (!node.equals(self) && now.isBefore(at.plus(LEFT_SHOWN))
          && leases.stream().noneMatch(l -> l.node().equals(node))) {
        rows.add(new Row(node, State.Stopped, k == null ? null : k.figures(),
            "its agent stopped: its Lease was removed at " + at));
      }
    });
    if (!selfSeen) {
      rows.add(row(self, new AgentLeases.Peer(self, null, null, null, null), known.get(self), now));
    }
    rows.sort(Comparator.comparing(Row::node));
    return rows;
  }

  private static Row row(String self, AgentLeases.Peer lease, Known k, Instant now) {
    Figures figures = k == null ? null : k.figures();
    boolean isSelf = lease.node().equals(self);
    if (!isSelf && (lease.podIp() == null || lease.metricsPort() == null)) {
      return new Row(lease.node(), State.Unreachable, figures,
          "its Lease names no peer address (an agent without --metrics-port)");
    }
    if (k == null) {
      return new Row(lease.node(), State.Unknown, null, "not asked yet");
    }
    if (k.error() != null) {
      return new Row(lease.node(), State.Unreachable, figures, k.error());
    }
    if (k.answeredAt().plus(STALE).isBefore(now)) {
      return new Row(lease.node(), State.Unknown, figures, "no answer since " + k.answeredAt());
    }
    return new Row(lease.node(), State.Ready, figures, null);
  }

  /** The view as the REST path and the page get it: {@code {"items": [row...]}}. */
  static JsonObject toJson(List<Row> rows) {
    JsonArray items = new JsonArray();
    rows.forEach(r -> items.add(r.toJson()));
    return new JsonObject().put("items", items);
  }
}
