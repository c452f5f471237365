package dev.nodepulse.bus;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One sample of the node, as the sampler publishes it on {@link #ADDRESS} (as JSON: the page gets it through the
 * SockJS bridge unchanged; its shape is docs/architecture.md's). The one mapping between the record and that JSON,
 * both ways: the sampler builds the record and publishes {@link #toJson()}, a concern that reads figures takes
 * {@link #fromJson} once per sample and reads fields, not keys.
 *
 * <p>A figure the platform does not count is absent, never 0: {@code cpu.load} is null where there is no load
 * average, and a CPU mode the platform does not count is missing from every {@link Modes}.
 */
public record Sample(long t, Cpu cpu, Modes total, List<Modes> perCoreTimes, List<Modes> seconds, Memory memory,
    List<Partition> partitions) {
  public static final String ADDRESS = "nodepulse.sampler.sample";
  /** Every CPU mode a platform may count, in the kernel's order. */
  public static final List<String> CPU_MODES = List.of("user", "nice", "system", "idle", "iowait", "irq", "softirq",
      "steal");

  public Sample {
    perCoreTimes = List.copyOf(perCoreTimes);
    seconds = List.copyOf(seconds);
    partitions = List.copyOf(partitions);
  }

  /** CPU % of the node (0–100) and of each online CPU by index, the one-minute average, the load averages. */
  public record Cpu(double percent, List<Double> perCore, Double avg1m, Load load) {
    public Cpu {
      perCore = List.copyOf(perCore);
    }
  }

  public record Load(double one, double five, double fifteen) {}

  /** One CPU's figures by mode ({@code cpu}: its number, or "total"): percent of an interval, or seconds. */
  public record Modes(String cpu, Map<String, Double> byMode) {
    public Modes {
      byMode = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(byMode));
    }
  }

  public record Memory(long totalBytes, long availableBytes, long usedBytes, long swapTotalBytes, long swapUsedBytes) {}

  public record Partition(String mountPoint, String device, String fsType, long totalBytes, long usedBytes,
      long freeBytes, long availBytes, double usedPercent) {}

  public JsonObject toJson() {
    JsonObject c = new JsonObject().put("percent", cpu.percent()).put("perCore", new JsonArray(cpu.perCore()))
        .put("avg1m", cpu.avg1m());
    if (cpu.load() != null) {
      c.put("load", new JsonObject().put("1m", cpu.load().one()).put("5m", cpu.load().five())
          .put("15m", cpu.load().fifteen()));
    }
    JsonArray perCore = new JsonArray();
    perCoreTimes.forEach(m -> perCore.add(modes(m)));
    JsonArray secs = new JsonArray();
    seconds.forEach(m -> secs.add(modes(m)));
    JsonArray parts = new JsonArray();
    for (Partition p : partitions) {
      parts.add(new JsonObject().put("mountPoint", p.mountPoint()).put("device", p.device())
          .put("fsType", p.fsType()).put("totalBytes", p.totalBytes()).put("usedBytes", p.usedBytes())
          .put("freeBytes", p.freeBytes()).put("availBytes", p.availBytes()).put("usedPercent", p.usedPercent()));
    }
    return new JsonObject()
        .put("t", t)
        .put("sampledAt", Instant.ofEpochMilli(t).toString())
        .put("cpu", c)
        .put("times", new JsonObject().put("total", modes(total)).put("perCore", perCore))
        .put("seconds", secs)
        .put("memory", new JsonObject().put("totalBytes", memory.totalBytes())
            .put("availableBytes", memory.availableBytes()).put("usedBytes", memory.usedBytes())
            .put("swapTotalBytes", memory.swapTotalBytes()).put("swapUsedBytes", memory.swapUsedBytes()))
        .put("partitions", parts);
  }

  private static JsonObject modes(Modes m) {
    JsonObject json = new JsonObject().put("cpu", m.cpu());
    m.byMode().forEach(json::put);
    return json;
  }

  /**
   * The sample in its published JSON. A missing or mistyped figure reads as absent (null, or 0 for a byte count):
   * the sample comes from this agent's own sampler, so this is not a place that refuses input.
   */
  public static Sample fromJson(JsonObject json) {
    JsonObject c = object(json, "cpu");
    List<Double> perCore = new ArrayList<>();
    for (Object o : array(c, "perCore")) {
      perCore.add(o instanceof Number n ? n.doubleValue() : null);
    }
    JsonObject l = c.getValue("load") instanceof JsonObject j ? j : null;
    Load load = l == null ? null : new Load(number(l, "1m", 0), number(l, "5m", 0), number(l, "15m", 0));
    Double avg1m = c.getValue("avg1m") instanceof Number n ? n.doubleValue() : null;
    JsonObject times = object(json, "times");
    List<Modes> perCoreTimes = modesList(array(times, "perCore"));
    List<Modes> seconds = modesList(array(json, "seconds"));
    JsonObject m = object(json, "memory");
    Memory memory = new Memory(whole(m, "totalBytes"), whole(m, "availableBytes"), whole(m, "usedBytes"),
        whole(m, "swapTotalBytes"), whole(m, "swapUsedBytes"));
    List<Partition> partitions = new ArrayList<>();
    for (Object o : array(json, "partitions")) {
      if (o instanceof JsonObject p) {
        partitions.add(new Partition(p.getString("mountPoint", ""), p.getString("device", ""),
            p.getString("fsType", ""), whole(p, "totalBytes"), whole(p, "usedBytes"), whole(p, "freeBytes"),
            whole(p, "availBytes"), number(p, "usedPercent", 0)));
      }
    }
    return new Sample(json.getValue("t") instanceof Number n ? n.longValue() : 0,
        new Cpu(number(c, "percent", 0), perCore, avg1m, load), modes(object(times, "total"), "total"),
        perCoreTimes, seconds, memory, partitions);
  }

  private static List<Modes> modesList(JsonArray array) {
    List<Modes> out = new ArrayList<>();
    for (int i = 0; i < array.size(); i++) {
      if (array.getValue(i) instanceof JsonObject o) {
        out.add(modes(o, Integer.toString(i)));
      }
    }
    return out;
  }

  /** A {@link Modes} from its JSON; a CPU without its number is named by its place in the list. */
  private static Modes modes(JsonObject o, String cpuIfAbsent) {
    Map<String, Double> byMode = new LinkedHashMap<>();
    for (String mode : CPU_MODES) {
      if (o.getValue(mode) instanceof Number n) {
        byMode.put(mode, n.doubleValue());
      }
    }
    Object cpu = o.getValue("cpu");
    return new Modes(cpu == null ? cpuIfAbsent : cpu.toString(), byMode);
  }

  private static double number(JsonObject o, String key, double orElse) {
    return o.getValue(key) instanceof Number n ? n.doubleValue() : orElse;
  }

  private static long whole(JsonObject o, String key) {
    return o.getValue(key) instanceof Number n ? n.longValue() : 0;
  }

  private static JsonObject object(JsonObject o, String key) {
    return o.getValue(key) instanceof JsonObject j ? j : new JsonObject();
  }

  private static JsonArray array(JsonObject o, String key) {
    return o.getValue(key) instanceof JsonArray a ? a : new JsonArray();
  }
}
