package dev.nodepulse.usage;

import dev.nodepulse.config.Config;
import dev.nodepulse.usage.Cgroups.Counters;
import dev.nodepulse.usage.Cgroups.Group;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.EventBus;
import io.vertx.core.eventbus.Message;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who uses the CPU: the node's pressure stall information ({@code <procfs>/pressure}) and the CPU of each cgroup
 * ({@code <sysfs>/fs/cgroup}: pods and containers under kubepods, else the machine's services and containers),
 * sampled on its own timer at {@code --sample-interval} on a worker pool of its own. Names pods from what the
 * Kubernetes mode sends on {@link #NAMES} (this node's pods only). Health component {@code usage}: PSI or the
 * cgroup tree absent is said there, and is not a failure.
 */
public final class UsageVerticle extends VerticleBase {
  /** Published every sample: {@code {"t", "sampledAt", "pressure", "pods": {"items", "cgroups"}}} (the page's top 50 of each). */
  public static final String SAMPLE = "nodepulse.usage.sample";
  /** Request/reply {@code {}} → the node's pressure ({@code GET /api/v1/pressure}). */
  public static final String PRESSURE = "nodepulse.usage.pressure";
  /** Request/reply {@code {}} → every pod and cgroup ({@code GET /api/v1/pods}). */
  public static final String PODS = "nodepulse.usage.pods";
  /** Request/reply {@code {"namespace", "name"}} → one pod; fails 404. */
  public static final String POD = "nodepulse.usage.pod";
  /** Request/reply {@code {"pids": [..]}} → {@code {"owners": {"<pid>": {"cgroup", "podUid"?, "namespace"?, "pod"?, "container"?}}}}. */
  public static final String OWNERS = "nodepulse.usage.owners";
  /**
   * Sent by Kubernetes mode (publish), one per pod of this node as it changes: {@code {"uid", "namespace", "name",
   * "containers": {"<id>": "<name>"}}}, with {@code "deleted": true} when it is gone.
   */
  public static final String NAMES = "nodepulse.usage.names";
  /** Published (local, not bridged) every sample with {@code --pod-metrics}: {@code {"items": [every pod]}}. */
  public static final String ALL_PODS = "nodepulse.usage.all-pods";
  public static final String COMPONENT = "usage";
  public static final String HEALTH = "nodepulse.health.usage";
  /** Pods and cgroups in each published sample (REST has all). */
  static final int LIVE_TOP = 50;
  private static final Logger LOG = LoggerFactory.getLogger(UsageVerticle.class);

  private final Path procfs;
  private final Path cgroupRoot;
  private final long intervalMs;
  private final LongSupplier nanos;
  private final boolean allPods;
  private final Map<String, CpuUsage.Names> names = new ConcurrentHashMap<>();
  private final CpuUsage usage = new CpuUsage();
  private WorkerExecutor worker;
  private Cgroups cgroups;
  private JsonObject pressure;
  private JsonObject pods;
  private String sampledAt;
  private String pressureNote;
  private String lastError;
  private long samples;
  private boolean busy;
  private long timer = -1;

  public UsageVerticle(Config config) {
    this(config.procfs(), config.sysfs().resolve("fs/cgroup"), config.sampleInterval().toMillis(), System::nanoTime,
        config.podMetrics());
  }

  UsageVerticle(Path procfs, Path cgroupRoot, long intervalMs, LongSupplier nanos) {
    this(procfs, cgroupRoot, intervalMs, nanos, false);
  }

  UsageVerticle(Path procfs, Path cgroupRoot, long intervalMs, LongSupplier nanos, boolean allPods) {
    this.allPods = allPods;
    this.procfs = procfs;
    this.cgroupRoot = cgroupRoot;
    this.intervalMs = intervalMs;
    this.nanos = nanos;
  }

  @Override
  public Future<?> start() {
    worker = vertx.createSharedWorkerExecutor("nodepulse-usage", 1);
    EventBus bus = vertx.eventBus();
    bus.<JsonObject>consumer(NAMES, m -> named(m.body()));
    bus.<JsonObject>consumer(PRESSURE, m -> {
      if (!ready(m)) {
        return;
      }
      m.reply(pressure == null
          ? new JsonObject().put("available", false).put("reason", pressureNote).put("sampledAt", sampledAt)
          : pressure.copy().put("available", true).put("sampledAt", sampledAt));
    });
    bus.<JsonObject>consumer(PODS, m -> {
      if (ready(m)) {
        m.reply(pods.copy().put("sampledAt", sampledAt));
      }
    });
    bus.<JsonObject>consumer(POD, this::pod);
    bus.<JsonObject>consumer(OWNERS, this::owners);
    bus.<JsonObject>consumer(HEALTH, m -> m.reply(health()));
    return worker.executeBlocking(() -> Cgroups.at(cgroupRoot), false).onSuccess(found -> {
      cgroups = found;
      LOG.info(found == null ? "no cgroup tree at {}: no CPU per pod or cgroup" : "cgroup v{} at {}",
          found == null ? cgroupRoot : found.version(), found == null ? null : cgroupRoot);
      tick();
      timer = vertx.setPeriodic(intervalMs, id -> tick());
    });
  }

  private boolean ready(Message<JsonObject> m) {
    if (sampledAt == null) {
      m.fail(503, new JsonObject().put("error", "no usage sample yet").encode());
      return false;
    }
    return true;
  }

  private void tick() {
    if (busy) {
      return; // the last scan is still running: skip this tick rather than queue scans
    }
    busy = true;
    Map<String, CpuUsage.Names> named = Map.copyOf(names);
    worker.executeBlocking(() -> sampleNow(named), false).onComplete(r -> {
      busy = false;
      if (r.failed()) {
        String e = String.valueOf(r.cause().getMessage());
        if (!e.equals(lastError)) {
          LOG.warn("usage sample failed: {}", e);
        }
        lastError = e;
        return;
      }
      Result res = r.result();
      lastError = null;
      samples++;
      pressure = res.pressure();
      pressureNote = res.note();
      pods = res.groups();
      sampledAt = res.at().toString();
      vertx.eventBus().publish(SAMPLE, live(res));
      if (allPods) {
        vertx.eventBus().publish(ALL_PODS, new JsonObject().put("items", res.groups().getJsonArray("items")),
            new io.vertx.core.eventbus.DeliveryOptions().setLocalOnly(true));
      }
    });
  }

  private record Result(JsonObject pressure, String note, JsonObject groups, Instant at) {}

  /** One sample, on the worker: pressure, then each group's counters. */
  private Result sampleNow(Map<String, CpuUsage.Names> named) throws IOException {
    JsonObject p = null;
    String note = null;
    Map<String, Pressure> node = Pressure.node(procfs);
    if (node.isEmpty()) {
      note = "no pressure stall information: " + procfs.resolve("pressure")
          + (Files.isDirectory(procfs.resolve("pressure")) ? " cannot be read (kernel booted with psi=0?)"
              : " is absent (kernel without CONFIG_PSI)");
    } else {
      p = new JsonObject();
      for (Map.Entry<String, Pressure> e : node.entrySet()) {
        p.put(e.getKey(), e.getValue().toJson());
      }
    }
    JsonObject groups;
    if (cgroups == null) {
      groups = new JsonObject().put("items", new JsonArray()).put("cgroups", new JsonArray());
    } else {
      Map<Group, Counters> read = new LinkedHashMap<>();
      for (Group g : cgroups.scan()) {
        Counters c = cgroups.read(g);
        if (c != null) {
          read.put(g, c);
        }
      }
      groups = usage.sample(read, nanos.getAsLong(), named);
    }
    groups.put("cgroupVersion", cgroups == null ? null : cgroups.version());
    return new Result(p, note, groups, Instant.now());
  }

  /** The published sample: the pressure and the busiest {@link #LIVE_TOP} pods and cgroups. */
  private static JsonObject live(Result r) {
    JsonObject groups = r.groups();
    return new JsonObject().put("t", r.at().toEpochMilli()).put("sampledAt", r.at().toString()).put("pressure", r.pressure())
        .put("pods", new JsonObject().put("cgroupVersion", groups.getValue("cgroupVersion"))
            .put("count", groups.getJsonArray("items").size())
            .put("items", top(groups.getJsonArray("items"))).put("cgroups", top(groups.getJsonArray("cgroups"))));
  }

  private static JsonArray top(JsonArray all) {
    return all.size() <= LIVE_TOP ? all : new JsonArray(all.getList().subList(0, LIVE_TOP));
  }

  private void named(JsonObject body) {
    String uid = body == null ? null : body.getString("uid");
    if (uid == null) {
      return;
    }
    if (Boolean.TRUE.equals(body.getValue("deleted"))) {
      names.remove(uid);
      return;
    }
    Map<String, String> containers = new HashMap<>();
    JsonObject c = body.getJsonObject("containers", new JsonObject());
    c.fieldNames().forEach(id -> containers.put(id, c.getString(id)));
    names.put(uid, new CpuUsage.Names(body.getString("namespace"), body.getString("name"), Map.copyOf(containers)));
  }

  private void pod(Message<JsonObject> m) {
    if (!ready(m)) {
      return;
    }
    String ns = m.body().getString("namespace");
    String name = m.body().getString("name");
    for (Object o : pods.getJsonArray("items")) {
      JsonObject p = (JsonObject) o;
      if (ns.equals(p.getString("namespace")) && name.equals(p.getString("name"))) {
        m.reply(p.copy().put("sampledAt", sampledAt));
        return;
      }
    }
    m.fail(404, new JsonObject().put("error", "no pod " + ns + "/" + name + " on this node")
        .put("details", new JsonObject().put("namespace", ns).put("name", name)).encode());
  }

  private void owners(Message<JsonObject> m) {
    JsonArray pids = m.body() == null ? null : m.body().getJsonArray("pids");
    if (pids == null || pids.size() > 100) {
      m.fail(400, new JsonObject().put("error", "pids: expected an array of at most 100 process ids").encode());
      return;
    }
    Map<String, CpuUsage.Names> named = Map.copyOf(names);
    worker.executeBlocking(() -> {
      JsonObject out = new JsonObject();
      for (Object pid : pids) {
        if (!(pid instanceof Number n) || n.longValue() <= 0) {
          continue;
        }
        try {
          String path = Cgroups.ofProcess(Files.readString(procfs.resolve(n.longValue() + "/cgroup")));
          if (path != null) {
            out.put(Long.toString(n.longValue()), owner(path, named));
          }
        } catch (IOException e) {
          // exited
        }
      }
      return new JsonObject().put("owners", out);
    }, false).onSuccess(m::reply).onFailure(err -> m.fail(500, new JsonObject().put("error", err.toString()).encode()));
  }

  static JsonObject owner(String path, Map<String, CpuUsage.Names> named) {
    Group g = Cgroups.classify(path);
    JsonObject o = new JsonObject().put("cgroup", path);
    if (g.podUid() != null) {
      CpuUsage.Names n = named.get(g.podUid());
      o.put("podUid", g.podUid());
      if (n != null) {
        o.put("namespace", n.namespace()).put("pod", n.name());
        if (g.containerId() != null) {
          o.put("container", n.containers().get(g.containerId()));
        }
      }
    }
    return o;
  }

  private JsonObject health() {
    JsonObject h = new JsonObject()
        .put("state", sampledAt == null ? "starting" : "up")
        .put("ready", sampledAt != null)
        .put("samples", samples)
        .put("pressure", sampledAt == null ? null : pressure != null ? "present" : "absent: " + pressureNote)
        .put("cgroups", cgroups == null ? "absent: no readable cgroup tree at " + cgroupRoot
            : "v" + cgroups.version() + " at " + cgroupRoot)
        .put("pods", pods == null ? 0 : pods.getJsonArray("items").size())
        .put("namedPods", names.size());
    if (lastError != null) {
      h.put("lastError", lastError);
    }
    return h;
  }

  @Override
  public Future<?> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    return worker == null ? Future.succeededFuture() : worker.close();
  }
}
