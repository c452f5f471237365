package dev.nodepulse.config;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The agent's whole configuration, validated. Built by {@link Flags#parse} from flags and
 * {@code NODEPULSE_*} environment variables, by name ({@link #byName}); every field has a flag of the same name
 * but {@code namespaces} (flag {@code --namespace}) and {@code podIp} (env {@code POD_IP}).
 */
public record Config(
    String httpHost,
    int httpPort,
    String metricsHost,
    Integer metricsPort,
    MetricsAuth metricsAuth,
    Path dataDir,
    Path tasksDir,
    Path procfs,
    Path sysfs,
    Path rootfs,
    Sampler sampler,
    Duration sampleInterval,
    Duration history,
    String nodeName,
    List<String> namespaces,
    Path pipeDir,
    Mode mode,
    List<String> destinationAllow,
    List<String> destinationDeny,
    int maxConcurrentRuns,
    int maxPiDigits,
    Duration maxComputeTime,
    String logLevel,
    // the listeners' defences (see README "Security")
    List<String> allowedHosts,
    Path apiTokenFile,
    Duration httpIdleTimeout,
    Duration httpHeaderTimeout,
    int httpMaxConnections,
    // kubernetes mode
    Duration leaseDuration,
    // per-pod CPU series on /metrics (off: the node's pressure only)
    boolean podMetrics,
    // per-task last success, last failure and interval on /metrics (3 series per task)
    boolean taskMetrics,
    // the admission webhook's HTTPS listener (port 0: none; the files are then null)
    String webhookHost,
    int webhookPort,
    Path webhookCertFile,
    Path webhookKeyFile,
    // this pod's IP (env POD_IP, from the downward API; 127.0.0.1 outside a pod): where peers reach the metrics port
    String podIp) {

  public enum Mode { STANDALONE, KUBERNETES }

  public enum MetricsAuth { NONE, KUBERNETES }

  /**
   * Where the sampler reads the node: the Linux {@code /proc} readers, or OSHI (macOS, Windows, the BSDs, and
   * Linux when asked). {@code --sampler auto} is resolved while parsing: procfs on Linux, OSHI elsewhere.
   */
  public enum Sampler { PROCFS, OSHI }

  public Config {
    namespaces = List.copyOf(namespaces);
    destinationAllow = List.copyOf(destinationAllow);
    destinationDeny = List.copyOf(destinationDeny);
    allowedHosts = List.copyOf(allowedHosts);
  }

  /**
   * The configuration whose components are the values of {@code byName}, each under its component's name: a
   * name missing or not a component is a programming error, said at once.
   */
  static Config byName(Map<String, Object> byName) {
    RecordComponent[] components = Config.class.getRecordComponents();
    Set<String> unknown = new TreeSet<>(byName.keySet());
    Object[] values = new Object[components.length];
    Class<?>[] types = new Class<?>[components.length];
    for (int i = 0; i < components.length; i++) {
      String name = components[i].getName();
      if (!byName.containsKey(name)) {
        throw new IllegalStateException("no value for Config." + name);
      }
      unknown.remove(name);
      values[i] = byName.get(name);
      types[i] = components[i].getType();
    }
    if (!unknown.isEmpty()) {
      throw new IllegalStateException("not in Config: " + unknown);
    }
    try {
      return Config.class.getDeclaredConstructor(types).newInstance(values);
    } catch (InvocationTargetException e) {
      throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Test configuration: loopback, a free port, the given data dir, then any extra flags. */
  public static Config forTest(Path dataDir, String... extra) {
    String[] args = new String[extra.length + 4];
    args[0] = "--http-port";
    args[1] = "0";
    args[2] = "--data-dir";
    args[3] = dataDir.toString();
    System.arraycopy(extra, 0, args, 4, extra.length);
    return Flags.parse(args, java.util.Map.of());
  }
}
