package dev.nodepulse.metrics;

import dev.nodepulse.bus.Sample;
import dev.nodepulse.bus.TaskRun;
import dev.nodepulse.bus.TaskState;
import dev.nodepulse.bus.WebRequest;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The front door of nodepulse's metrics: registers every series named in README.md's Metrics section onto a given
 * registry and takes the events they are built from. Node gauges read the latest sample by callback;
 * task and HTTP series are counted from the events. Safe to feed from one thread and scrape from another.
 * No exemplars: there is no tracer to take them from.
 */
public final class NodepulseMetrics {
  /** The task phases always exported by {@code nodepulse_tasks}, so a dashboard sees zeros too. */
  static final List<String> PHASES = List.of("Pending", "Scheduled", "Running", "Succeeded", "Failed");
  /** The target types, as the scheduler labels runs. */
  private static final List<String> TARGETS = List.of("http", "tcp", "pipe", "compute");

  private final PrometheusRegistry registry;
  private volatile Sample latest;
  private volatile JsonObject usage;
  private volatile JsonObject pods;
  private final Map<String, String> phaseByTask = new ConcurrentHashMap<>();
  /** Per task, with {@code --task-metrics}: its last success and failure and its interval; null: off. */
  private volatile Map<String, TaskHealth> healthByTask;
  private final Counter taskRuns;
  private final Histogram taskDuration;
  private final Histogram taskLateness;
  private final Counter httpRequests;
  private final Gauge liveClients;

  private NodepulseMetrics(PrometheusRegistry registry) {
    this.registry = registry;
    CounterWithCallback.builder().name("nodepulse_cpu_seconds_total")
        .help("Seconds the CPUs spent in each mode (kernel counters, as node_exporter's node_cpu_seconds_total)")
        .labelNames("cpu", "mode")
        .callback(cb -> {
          Sample s = latest;
          for (Sample.Modes cpu : s == null ? List.<Sample.Modes>of() : s.seconds()) {
            cpu.byMode().forEach((mode, seconds) -> cb.call(seconds, cpu.cpu(), mode));
          }
        }).register(registry);
    GaugeWithCallback.builder().name("nodepulse_cpu_usage_ratio")
        .help("Share of CPU time not idle over the last sample interval, 0 to 1; cpu=\"total\" is the whole node")
        .labelNames("cpu")
        .callback(cb -> {
          Sample s = latest;
          if (s == null) {
            return;
          }
          cb.call(ratio(s.cpu().percent()), "total");
          // perCore lists the CPUs online now; their numbers are in the times' perCore (cpu1 may be offline)
          List<Double> perCore = s.cpu().perCore();
          for (int i = 0; i < perCore.size(); i++) {
            if (perCore.get(i) != null) {
              cb.call(ratio(perCore.get(i)), i < s.perCoreTimes().size() ? s.perCoreTimes().get(i).cpu()
                  : Integer.toString(i));
            }
          }
        }).register(registry);
    sampleGauge("nodepulse_cpu_usage_avg1m_ratio", "Average of nodepulse_cpu_usage_ratio{cpu=\"total\"} over the last minute, 0 to 1",
        s -> ratio(s.cpu().avg1m()));
    sampleGauge("nodepulse_load1", "Load average over 1 minute", s -> s.cpu().load() == null ? null : s.cpu().load().one());
    sampleGauge("nodepulse_load5", "Load average over 5 minutes", s -> s.cpu().load() == null ? null : s.cpu().load().five());
    sampleGauge("nodepulse_load15", "Load average over 15 minutes",
        s -> s.cpu().load() == null ? null : s.cpu().load().fifteen());
    sampleGauge("nodepulse_memory_total_bytes", "Physical memory of the node in bytes",
        s -> (double) s.memory().totalBytes());
    sampleGauge("nodepulse_memory_available_bytes", "Memory available for new work without swapping, in bytes",
        s -> (double) s.memory().availableBytes());
    filesystemGauge("nodepulse_filesystem_size_bytes", "Size of the filesystem in bytes", Sample.Partition::totalBytes);
    filesystemGauge("nodepulse_filesystem_free_bytes", "Free space of the filesystem in bytes, including space reserved for root", Sample.Partition::freeBytes);
    filesystemGauge("nodepulse_filesystem_avail_bytes", "Space of the filesystem available to unprivileged users, in bytes", Sample.Partition::availBytes);
    taskRuns = Counter.builder().withoutExemplars().name("nodepulse_task_runs_total").help("Task runs finished, by target type and outcome")
        .labelNames("target", "outcome").register(registry);
    // missed and skipped due times' series exist from the start at 0, so increase() sees the first (the alerts)
    TARGETS.forEach(t -> taskRuns.initLabelValues(t, "missed"));
    TARGETS.forEach(t -> taskRuns.initLabelValues(t, "skipped"));
    taskDuration = Histogram.builder().withoutExemplars().name("nodepulse_task_duration_seconds").help("How long task runs took, by target type")
        .labelNames("target").classicOnly()
        .classicUpperBounds(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300).register(registry);
    taskLateness = Histogram.builder().withoutExemplars().name("nodepulse_task_lateness_seconds")
        .help("How late task runs started: actual start minus the time they were due").classicOnly()
        .classicUpperBounds(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 60).register(registry);
    GaugeWithCallback.builder().name("nodepulse_tasks").help("Tasks this agent knows, by phase").labelNames("phase")
        .callback(cb -> {
          Map<String, Integer> counts = new java.util.TreeMap<>();
          PHASES.forEach(p -> counts.put(p, 0));
          phaseByTask.values().forEach(p -> counts.merge(p, 1, Integer::sum));
          counts.forEach((phase, n) -> cb.call(n, phase));
        }).register(registry);
    httpRequests = Counter.builder().withoutExemplars().name("nodepulse_http_requests_total")
        .help("HTTP requests answered, by method, route template and status").labelNames("method", "route", "status")
        .register(registry);
    pressureCounter("node_pressure_cpu_waiting_seconds_total", "Total time in seconds that processes have waited for CPU time", "cpu", "some");
    pressureCounter("node_pressure_memory_waiting_seconds_total", "Total time in seconds that processes have waited for memory", "memory", "some");
    pressureCounter("node_pressure_memory_stalled_seconds_total", "Total time in seconds no process could make progress due to memory congestion", "memory", "full");
    pressureCounter("node_pressure_io_waiting_seconds_total", "Total time in seconds that processes have waited due to IO congestion", "io", "some");
    pressureCounter("node_pressure_io_stalled_seconds_total", "Total time in seconds no process could make progress due to IO congestion", "io", "full");
    liveClients = Gauge.builder().withoutExemplars().name("nodepulse_live_clients").help("Live page clients connected over SockJS")
        .register(registry);
  }

  /** Registers nodepulse's series (and the JVM's own when {@code jvm}) onto {@code registry}. */
  public static NodepulseMetrics register(PrometheusRegistry registry, boolean jvm) {
    NodepulseMetrics m = new NodepulseMetrics(registry);
    if (jvm) {
      JvmProcessMetrics.register(registry);
    }
    return m;
  }

  /** A new sample from the sampler ({@link Sample#ADDRESS}); gauges read it at the next scrape. */
  public void sample(Sample sample) {
    latest = sample;
  }

  /** A usage sample ({@code nodepulse.usage.sample}): the node's pressure; absent without PSI. */
  public void usage(JsonObject sample) {
    usage = sample;
  }

  /** Every pod of the node ({@code nodepulse.usage.all-pods}, with {@code --pod-metrics}). */
  public void pods(JsonObject all) {
    pods = all;
  }

  /**
   * Registers the per-pod series ({@code --pod-metrics}): four counters per pod on the node, labelled
   * {@code namespace} and {@code pod} (the uid while the pod is unnamed, with an empty namespace).
   */
  public void exportPods() {
    podCounter("nodepulse_pod_cpu_usage_seconds_total", "CPU time used by the pod's cgroup, in seconds", "usageSeconds", null);
    podCounter("nodepulse_pod_cpu_periods_total", "CFS enforcement periods of the pod's cgroup (with a CPU limit)", null, "periods");
    podCounter("nodepulse_pod_cpu_throttled_periods_total", "CFS periods in which the pod's cgroup was throttled", null, "throttledPeriods");
    podCounter("nodepulse_pod_cpu_throttled_seconds_total", "Time the pod's cgroup was throttled, in seconds", null, "throttledSeconds");
  }

  private void podCounter(String name, String help, String field, String throttlingField) {
    CounterWithCallback.builder().name(name).help(help).labelNames("namespace", "pod").callback(cb -> {
      JsonObject all = pods;
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (Object o : all == null ? new JsonArray() : array(all, "items")) {
        if (o instanceof JsonObject p) {
          Double v = field != null ? number(p, field) : number(object(p, "throttling"), throttlingField);
          boolean named = p.getValue("name") != null;
          String ns = named ? label(p.getValue("namespace"), "") : "";
          String pod = label(named ? p.getValue("name") : p.getValue("uid"), "");
          // a pod made anew under the same name (its old cgroup not yet gone): the first, busiest, one only
          if (v != null && seen.add(ns + "/" + pod)) {
            cb.call(v, ns, pod);
          }
        }
      }
    }).register(registry);
  }

  /**
   * What the per-task series show of one task: the finish time of its last success and of its last failure
   * (seconds since the epoch; null until one happened on this agent), and for a recurring task its interval
   * (null for a one-shot), computed once per generation of its spec.
   */
  private record TaskHealth(String namespace, String name, long generation, Double interval, Double lastSuccess,
      Double lastFailure) {}

  /**
   * Registers the per-task series ({@code --task-metrics}): three gauges per task this agent knows, labelled
   * {@code namespace} and {@code name}, removed with the task; what the alerts "not succeeding" needs.
   */
  public void exportTasks() {
    healthByTask = new ConcurrentHashMap<>();
    taskGauge("nodepulse_task_last_success_timestamp_seconds",
        "When the task's last successful run on this agent finished, in seconds since the epoch", TaskHealth::lastSuccess);
    taskGauge("nodepulse_task_last_failure_timestamp_seconds", "When the task's last run on this agent that "
        + "failed, timed out, was denied or was missed finished, in seconds since the epoch", TaskHealth::lastFailure);
    taskGauge("nodepulse_task_interval_seconds",
        "A recurring task's interval: its every, or for a cron schedule the gap between its next two due times",
        TaskHealth::interval);
  }

  private void taskGauge(String name, String help, java.util.function.Function<TaskHealth, Double> read) {
    GaugeWithCallback.builder().name(name).help(help).labelNames("namespace", "name").callback(cb -> {
      Map<String, TaskHealth> all = healthByTask;
      for (TaskHealth h : all == null ? List.<TaskHealth>of() : all.values()) {
        Double v = read.apply(h);
        if (v != null) {
          cb.call(v, h.namespace(), h.name());
        }
      }
    }).register(registry);
  }

  /** One of node_exporter's pressure counters (same names and help), from the latest usage sample. */
  private void pressureCounter(String name, String help, String resource, String line) {
    CounterWithCallback.builder().name(name).help(help).callback(cb -> {
      JsonObject u = usage;
      Double total = u == null ? null : number(object(object(object(u, "pressure"), resource), line), "totalSeconds");
      if (total != null) {
        cb.call(total);
      }
    }).register(registry);
  }

  /** An attempt that ended, or a burst of due times not run ({@link TaskRun#ADDRESS}). */
  public void taskRun(TaskRun run) {
    String target = label(run.target(), "unknown");
    taskRuns.labelValues(target, label(run.outcome(), "unknown")).inc(Math.max(1, Math.min(run.count(), 1_000_000_000L)));
    if (run.durationSeconds() != null && run.durationSeconds() >= 0) {
      taskDuration.labelValues(target).observe(run.durationSeconds());
    }
    if (run.latenessSeconds() != null) {
      taskLateness.observe(run.latenessSeconds());
    }
  }

  /** A task changed ({@link TaskState#ADDRESS}): its phase, and its last finished attempt for the per-task series. */
  public void taskChanged(TaskState task) {
    Map<String, TaskHealth> health = healthByTask;
    if (task.deleted()) {
      phaseByTask.remove(task.key());
      if (health != null) {
        health.remove(task.key());
      }
      return;
    }
    phaseByTask.put(task.key(), PHASES.contains(task.phase()) ? task.phase() : "Pending");
    if (health != null) {
      health.compute(task.key(), (k, old) -> health(task, old));
    }
  }

  /** The task's health from its latest change: its last run's finish time goes to the success or failure series. */
  private static TaskHealth health(TaskState task, TaskHealth old) {
    Double interval = old != null && old.generation() == task.generation() ? old.interval() : task.intervalSeconds();
    Double success = old == null ? null : old.lastSuccess();
    Double failure = old == null ? null : old.lastFailure();
    if (task.lastFinishedAt() != null) {
      double finished = task.lastFinishedAt().toEpochMilli() / 1e3;
      switch (label(task.lastOutcome(), "")) {
        case "SUCCEEDED" -> success = success == null ? finished : Math.max(success, finished);
        case "FAILED", "TIMEOUT", "DENIED", "MISSED" -> failure = failure == null ? finished : Math.max(failure, finished);
        default -> { } // CANCELLED: the task was edited or the agent stopped, neither a success nor a failure
      }
    }
    return new TaskHealth(task.namespace(), task.name(), task.generation(), interval, success, failure);
  }

  /** One HTTP request answered ({@link WebRequest#ADDRESS}). */
  public void httpRequest(WebRequest r) {
    httpRequests.labelValues(r.method(), r.route(), Integer.toString(r.status())).inc();
  }

  /** Live SockJS clients now connected ({@code nodepulse.web.clients}). */
  public void liveClients(int count) {
    liveClients.set(count);
  }

  /** The latest sample's time, or null before the first. */
  Long lastSampleT() {
    Sample s = latest;
    return s == null ? null : s.t();
  }

  /** A scrape: the content type and the exposition text. */
  public record Exposition(String contentType, String body) {}

  /** Renders the registry: OpenMetrics when {@code accept} asks for it, else Prometheus text 0.0.4. */
  public Exposition scrape(String accept) {
    ExpositionFormatWriter writer = wantsOpenMetrics(accept)
        ? OpenMetricsTextFormatWriter.create()
        : PrometheusTextFormatWriter.create();
    ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
    try {
      writer.write(out, registry.scrape());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return new Exposition(writer.getContentType(), out.toString(StandardCharsets.UTF_8));
  }

  /** Whether an Accept header asks for OpenMetrics rather than Prometheus text. */
  public static boolean wantsOpenMetrics(String accept) {
    return accept != null && accept.toLowerCase(Locale.ROOT).contains("application/openmetrics-text");
  }

  private void sampleGauge(String name, String help, java.util.function.Function<Sample, Double> read) {
    GaugeWithCallback.builder().name(name).help(help).callback(cb -> {
      Sample s = latest;
      Double v = s == null ? null : read.apply(s);
      if (v != null) {
        cb.call(v);
      }
    }).register(registry);
  }

  private void filesystemGauge(String name, String help, java.util.function.ToLongFunction<Sample.Partition> read) {
    GaugeWithCallback.builder().name(name).help(help).labelNames("mountpoint", "device", "fstype").callback(cb -> {
      Sample s = latest;
      for (Sample.Partition p : s == null ? List.<Sample.Partition>of() : s.partitions()) {
        cb.call(read.applyAsLong(p), label(p.mountPoint(), ""), label(p.device(), ""), label(p.fsType(), ""));
      }
    }).register(registry);
  }

  private static String label(Object value, String orElse) {
    return value == null ? orElse : value.toString();
  }

  /**
   * A percentage of the sample (rounded to 0.01) as a ratio with the same four decimals, so 11.2 % is exposed as
   * 0.112, not as the nearest double of 11.2 / 100 (0.11199999999999999).
   */
  private static Double ratio(Double percent) {
    return percent == null ? null : Math.round(percent * 100) / 10_000.0;
  }

  private static Double number(JsonObject o, String key) {
    return o.getValue(key) instanceof Number n ? n.doubleValue() : null;
  }

  private static JsonObject object(JsonObject o, String key) {
    return o.getValue(key) instanceof JsonObject j ? j : new JsonObject();
  }

  private static JsonArray array(JsonObject o, String key) {
    return o.getValue(key) instanceof JsonArray a ? a : new JsonArray();
  }
}
