package dev.nodepulse.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The agents' Leases as the Kubernetes concern last saw them (Kubernetes mode), answered on {@link #ADDRESS}: each
 * agent's node, when it last renewed, for how long a renewal holds, and where its metrics listener answers peers
 * ({@code podIp}, {@code metricsPort}: null when its Lease does not say).
 */
public record AgentLeases(List<Peer> items) {
  /** Request/reply (local): {@code {}} → {@code {"items": [{node, renewTime, leaseDurationMs, podIp, metricsPort}]}}. */
  public static final String ADDRESS = "nodepulse.kube.agents";

  public AgentLeases {
    items = List.copyOf(items);
  }

  /** One agent's Lease; {@code renewTime} and {@code leaseDuration} null when its Lease does not say. */
  public record Peer(String node, Instant renewTime, Duration leaseDuration, String podIp, Integer metricsPort) {}

  public JsonObject toJson() {
    JsonArray list = new JsonArray();
    for (Peer p : items) {
      list.add(new JsonObject().put("node", p.node())
          .put("renewTime", p.renewTime() == null ? null : p.renewTime().toString())
          .put("leaseDurationMs", p.leaseDuration() == null ? null : p.leaseDuration().toMillis())
          .put("podIp", p.podIp()).put("metricsPort", p.metricsPort()));
    }
    return new JsonObject().put("items", list);
  }

  public static AgentLeases fromJson(JsonObject json) {
    List<Peer> out = new ArrayList<>();
    for (Object o : json.getJsonArray("items", new JsonArray())) {
      JsonObject p = (JsonObject) o;
      String renewed = p.getString("renewTime");
      Long ms = p.getLong("leaseDurationMs");
      out.add(new Peer(p.getString("node"), renewed == null ? null : Instant.parse(renewed),
          ms == null ? null : Duration.ofMillis(ms), p.getString("podIp"), p.getInteger("metricsPort")));
    }
    return new AgentLeases(out);
  }
}
