package dev.nodepulse.config;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;

/**
 * Command-line flags and {@code NODEPULSE_*} environment variables. A flag wins over its variable,
 * which wins over the default. Every value is checked here; a bad one is a {@link BadOption} whose
 * message names the option and what it accepts.
 */
public final class Flags {

  /** A rejected option: the message is the one line the agent prints before it exits. */
  public static final class BadOption extends IllegalArgumentException {
    public BadOption(String message) {
      super(message);
    }
  }

  /** Thrown for {@code --help} and {@code --version}: the text to print, then exit 0. */
  public static final class Info extends RuntimeException {
    public Info(String text) {
      super(text, null, false, false);
    }
  }

  private record Option(String name, String defaultValue, String help) {
    String env() {
      return "NODEPULSE_" + name.toUpperCase(Locale.ROOT).replace('-', '_');
    }
  }

  private static final List<Option> OPTIONS = List.of(
      new Option("mode", null, "standalone|kubernetes (default: kubernetes when KUBERNETES_SERVICE_HOST is set); "
          + "kubernetes uses the in-cluster config inside a pod, else KUBECONFIG or ~/.kube/config"),
      new Option("http-host", "127.0.0.1", "address of the page and API listener"),
      new Option("http-port", "8080", "port of the page and API listener; 0 picks a free port and logs it"),
      new Option("metrics-host", "0.0.0.0", "address of the separate metrics listener (with --metrics-port)"),
      new Option("metrics-port", null, "port of a second listener serving only /metrics and the probes (default: none)"),
      new Option("metrics-auth", "none", "none|kubernetes (kubernetes: a scrape needs a bearer token that the API "
          + "server's TokenReview accepts and whose user may get the non-resource URL /metrics)"),
      new Option("data-dir", defaultDataDir(), "where the history and task state (SQLite) are kept"),
      new Option("tasks-dir", null, "a directory of DelayedTask YAML/JSON files, watched live (default: none)"),
      new Option("procfs", "/proc", "the host's /proc (e.g. /host/proc in a container)"),
      new Option("sysfs", "/sys", "the host's /sys"),
      new Option("rootfs", "/", "the host's root filesystem, for partition figures"),
      new Option("sampler", "auto", "auto|procfs|oshi: where figures come from (auto: procfs on Linux, OSHI on "
          + "macOS, Windows and the BSDs; --procfs and --sysfs are checked only where they are read)"),
      new Option("sample-interval", "1s", "time between samples (100ms to 1m)"),
      new Option("history", "1h", "how much history is kept and served (1m to 7d)"),
      new Option("node-name", null, "this node's name (default: NODE_NAME, then the host name)"),
      new Option("namespace", null, "comma-separated namespaces to watch for tasks (default: all)"),
      new Option("pipe-dir", null, "directory that pipe targets live in (default: <data-dir>/pipes)"),
      new Option("destination-allow", "", "comma-separated CIDRs that http/tcp targets may reach (default: any not denied)"),
      new Option("destination-deny", "", "comma-separated CIDRs denied to http/tcp targets, on top of link-local and metadata"),
      new Option("max-concurrent-runs", "16", "task runs in flight at once, per target type (1 to 1024)"),
      new Option("max-pi-digits", "100000", "largest pi computation a task may ask for (10 to 1000000)"),
      new Option("max-compute-time", "5m", "longest a compute task may run"),
      new Option("log-level", "info", "error|warn|info|debug|trace"),
      new Option("allowed-hosts", "", "comma-separated extra names the listeners answer to in Host (besides localhost, "
          + "the listen address, the host name, the node name and the machine's addresses); others get 421"),
      new Option("api-token-file", null, "file holding the bearer token that POST/DELETE of /api/v1/tasks need when "
          + "--http-host is not loopback (default: none, so such calls are refused there)"),
      new Option("http-idle-timeout", "60s", "a connection with no traffic for this long is closed (1s to 1h)"),
      new Option("http-header-timeout", "10s", "a connection is closed when a request's headers take longer than "
          + "this to arrive, counted from the connection or from the previous reply (1s to 5m)"),
      new Option("http-max-connections", "512", "open connections per listener (16 to 65536; at most a quarter of "
          + "the process's open-file limit); at the cap the longest-waiting idle one is closed"),
      new Option("lease-duration", "15s", "kubernetes mode: how long a claimed run's holder "
          + "counts as live after its claim or its Lease's renewal (2s to 5m; renewed every third of it while it holds "
          + "a run); another agent takes over the run after that, and a third of it is the step of the claim cascade"),
      new Option("pod-metrics", "false", "true|false: export CPU and throttling per pod on /metrics (4 series per pod "
          + "on the node; the node's pressure is always exported)"),
      new Option("task-metrics", "true", "true|false: export each task's last success, last failure and interval on "
          + "/metrics (3 series per task, for the alert NodepulseTaskNotSucceeding)"),
      new Option("webhook-host", "0.0.0.0", "address of the admission webhook listener (with --webhook-port)"),
      new Option("webhook-port", "0", "port of an HTTPS listener answering the API server's admission reviews of "
          + "DelayedTasks with the agent's own validation (0: none)"),
      new Option("webhook-cert-file", null, "the webhook listener's certificate chain, PEM (needed with --webhook-port)"),
      new Option("webhook-key-file", null, "the webhook listener's private key, PEM (needed with --webhook-port)"));

  private Flags() {}

  private static String defaultDataDir() {
    return Path.of(System.getProperty("user.home", "."), ".local", "state", "nodepulse").toString();
  }

  /** The usage text printed by {@code --help}. */
  public static String usage() {
    StringBuilder b = new StringBuilder("Usage: java -jar nodepulse.jar [options]\n\n"
        + "Every option can also be set as an environment variable (shown in brackets).\n\n");
    for (Option o : OPTIONS) {
      b.append(String.format("  --%-22s %s%n  %-24s [%s]%s%n", o.name, o.help, "", o.env(),
          o.defaultValue == null || o.defaultValue.isEmpty() ? "" : " default " + o.defaultValue));
    }
    return b.toString();
  }

  /** Parses flags and environment into a valid {@link Config}. */
  public static Config parse(String[] args, Map<String, String> env) {
    Map<String, String> values = new LinkedHashMap<>();
    for (Option o : OPTIONS) {
      String v = env.get(o.env());
      if (v != null && !v.isBlank()) {
        values.put(o.name, v.trim());
      }
    }
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      if (a.equals("--help") || a.equals("-h")) {
        throw new Info(usage());
      }
      if (a.equals("--version")) {
        throw new Info("nodepulse " + version());
      }
      if (!a.startsWith("--")) {
        throw new BadOption("unexpected argument '" + a + "'; options start with -- (see --help)");
      }
      int eq = a.indexOf('=');
      String name = eq >= 0 ? a.substring(2, eq) : a.substring(2);
      if (OPTIONS.stream().noneMatch(o -> o.name.equals(name))) {
        throw new BadOption("unknown option --" + name + " (see --help)");
      }
      String value;
      if (eq >= 0) {
        value = a.substring(eq + 1);
      } else if (i + 1 < args.length) {
        value = args[++i];
      } else {
        throw new BadOption("--" + name + " needs a value (see --help)");
      }
      values.put(name, value.trim());
    }
    java.util.Set<String> explicit = java.util.Set.copyOf(values.keySet());
    for (Option o : OPTIONS) {
      if (o.defaultValue != null) {
        values.putIfAbsent(o.name, o.defaultValue);
      }
    }
    return build(values, explicit, env);
  }

  private static Config build(Map<String, String> v, java.util.Set<String> explicit, Map<String, String> env) {
    Config.Mode mode = v.containsKey("mode")
        ? get(v, "mode", s -> Config.Mode.valueOf(oneOf(s, "standalone", "kubernetes").toUpperCase(Locale.ROOT)))
        : env.containsKey("KUBERNETES_SERVICE_HOST") ? Config.Mode.KUBERNETES : Config.Mode.STANDALONE;
    Path dataDir = get(v, "data-dir", Flags::absolute);
    Duration sample = get(v, "sample-interval", s -> within(Durations.parse(s), Duration.ofMillis(100), Duration.ofMinutes(1)));
    Duration history = get(v, "history", s -> within(Durations.parse(s), Duration.ofMinutes(1), Duration.ofDays(7)));
    Config.Sampler sampler = get(v, "sampler", Flags::sampler);
    // without /proc (OSHI on macOS, Windows) the Linux defaults of --procfs and --sysfs name nothing: they are
    // checked when procfs is read, or when given (OSHI on Linux reads the given procfs)
    boolean procfsRead = sampler == Config.Sampler.PROCFS || explicit.contains("procfs");
    String nodeName = v.get("node-name");
    if (nodeName == null) {
      nodeName = env.getOrDefault("NODE_NAME", "").isBlank() ? hostName() : env.get("NODE_NAME").trim();
    }
    Map<String, Object> c = new LinkedHashMap<>(); // by the Config component's name
    c.put("httpHost", get(v, "http-host", Flags::host));
    c.put("httpPort", get(v, "http-port", Flags::port));
    c.put("metricsHost", get(v, "metrics-host", Flags::host));
    c.put("metricsPort", v.containsKey("metrics-port") ? get(v, "metrics-port", Flags::port) : null);
    c.put("metricsAuth", get(v, "metrics-auth",
        s -> Config.MetricsAuth.valueOf(oneOf(s, "none", "kubernetes").toUpperCase(Locale.ROOT))));
    c.put("dataDir", dataDir);
    c.put("tasksDir", v.containsKey("tasks-dir") ? get(v, "tasks-dir", Flags::existingDir) : null);
    c.put("procfs", procfsRead ? get(v, "procfs", s -> dirWithFile(s, "stat")) : get(v, "procfs", Flags::absolute));
    c.put("sysfs", procfsRead || explicit.contains("sysfs") ? get(v, "sysfs", Flags::existingDir)
        : get(v, "sysfs", Flags::absolute));
    c.put("rootfs", get(v, "rootfs", Flags::existingDir));
    c.put("sampler", sampler);
    c.put("sampleInterval", sample);
    c.put("history", history);
    c.put("nodeName", nodeName);
    c.put("namespaces", v.containsKey("namespace") ? get(v, "namespace", Flags::list) : List.of());
    c.put("pipeDir", v.containsKey("pipe-dir") ? get(v, "pipe-dir", Flags::absolute) : dataDir.resolve("pipes"));
    c.put("mode", mode);
    c.put("destinationAllow", get(v, "destination-allow", Flags::list));
    c.put("destinationDeny", get(v, "destination-deny", Flags::list));
    c.put("maxConcurrentRuns", get(v, "max-concurrent-runs", s -> intWithin(s, 1, 1024)));
    c.put("maxPiDigits", get(v, "max-pi-digits", s -> intWithin(s, 10, 1_000_000)));
    c.put("maxComputeTime", get(v, "max-compute-time", s -> within(Durations.parse(s), Duration.ofSeconds(1),
        Duration.ofHours(1))));
    c.put("logLevel", get(v, "log-level", s -> oneOf(s, "error", "warn", "info", "debug", "trace")));
    c.put("allowedHosts", get(v, "allowed-hosts", s -> list(s).stream().map(Flags::host).toList()));
    c.put("apiTokenFile", v.containsKey("api-token-file") ? get(v, "api-token-file", Flags::tokenFile) : null);
    c.put("httpIdleTimeout", get(v, "http-idle-timeout", s -> within(Durations.parse(s), Duration.ofSeconds(1),
        Duration.ofHours(1))));
    c.put("httpHeaderTimeout", get(v, "http-header-timeout", s -> within(Durations.parse(s), Duration.ofSeconds(1),
        Duration.ofMinutes(5))));
    c.put("httpMaxConnections", get(v, "http-max-connections", s -> intWithin(s, 16, 65536)));
    c.put("leaseDuration", get(v, "lease-duration", s -> within(Durations.parse(s), Duration.ofSeconds(2),
        Duration.ofMinutes(5))));
    c.put("podMetrics", get(v, "pod-metrics", s -> oneOf(s, "true", "false").equals("true")));
    c.put("taskMetrics", get(v, "task-metrics", s -> oneOf(s, "true", "false").equals("true")));
    c.put("webhookHost", get(v, "webhook-host", Flags::host));
    c.put("webhookPort", get(v, "webhook-port", Flags::port));
    c.put("webhookCertFile", webhookFile(v, "webhook-cert-file"));
    c.put("webhookKeyFile", webhookFile(v, "webhook-key-file"));
    c.put("podIp", podIp(env.getOrDefault("POD_IP", "").strip()));
    return Config.byName(c);
  }

  /** A PEM file of the webhook listener: required with a webhook port, refused without one. */
  private static Path webhookFile(Map<String, String> v, String name) {
    boolean on = !"0".equals(v.get("webhook-port"));
    if (!v.containsKey(name)) {
      if (on) {
        throw new BadOption("--" + name + " (NODEPULSE_" + name.toUpperCase(Locale.ROOT).replace('-', '_')
            + "): needed with --webhook-port " + v.get("webhook-port") + " (the listener is HTTPS)");
      }
      return null;
    }
    if (!on) {
      throw new BadOption("--" + name + " is given but --webhook-port is 0 (no webhook listener)");
    }
    return get(v, name, Flags::readableFile);
  }

  private static <T> T get(Map<String, String> v, String name, Function<String, T> parse) {
    String raw = v.get(name);
    try {
      return parse.apply(raw);
    } catch (BadOption e) {
      throw e;
    } catch (RuntimeException e) {
      throw new BadOption("--" + name + " (NODEPULSE_" + name.toUpperCase(Locale.ROOT).replace('-', '_') + "): "
          + e.getMessage());
    }
  }

  private static String oneOf(String s, String... accepted) {
    String lower = s.toLowerCase(Locale.ROOT);
    if (!Arrays.asList(accepted).contains(lower)) {
      throw new IllegalArgumentException("'" + s + "' is not one of " + String.join(", ", accepted));
    }
    return lower;
  }

  private static Config.Sampler sampler(String s) {
    return switch (oneOf(s, "auto", "procfs", "oshi")) {
      case "procfs" -> Config.Sampler.PROCFS;
      case "oshi" -> Config.Sampler.OSHI;
      default -> System.getProperty("os.name", "").startsWith("Linux") ? Config.Sampler.PROCFS : Config.Sampler.OSHI;
    };
  }

  private static int port(String s) {
    return intWithin(s, 0, 65535);
  }

  private static int intWithin(String s, int min, int max) {
    int n;
    try {
      n = Integer.parseInt(s);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + s + "' is not a whole number from " + min + " to " + max);
    }
    if (n < min || n > max) {
      throw new IllegalArgumentException(n + " is outside " + min + " to " + max);
    }
    return n;
  }

  private static Duration within(Duration d, Duration min, Duration max) {
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
      throw new IllegalArgumentException(Durations.format(d) + " is outside " + Durations.format(min) + " to "
          + Durations.format(max));
    }
    return d;
  }

  private static String host(String s) {
    if (s.isEmpty() || !s.matches("[0-9A-Za-z.:\\-\\[\\]]+")) {
      throw new IllegalArgumentException("'" + s + "' is not an IP address or host name");
    }
    return s;
  }

  /** Env {@code POD_IP}: an IPv4 or IPv6 literal (no name: peers dial it as it is); 127.0.0.1 when unset. */
  static String podIp(String s) {
    if (s.isEmpty()) {
      return "127.0.0.1";
    }
    boolean v4 = s.matches("((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)");
    boolean v6 = s.contains(":") && s.matches("[0-9A-Fa-f:.]+");
    if (!v4 && !v6) {
      throw new BadOption("POD_IP: '" + s + "' is not an IP address (the chart sets it from status.podIP)");
    }
    return s;
  }

  private static Path absolute(String s) {
    if (s.isEmpty()) {
      throw new IllegalArgumentException("empty; expected a directory path");
    }
    return Path.of(s).toAbsolutePath().normalize();
  }

  private static Path existingDir(String s) {
    Path p = absolute(s);
    if (!Files.isDirectory(p)) {
      throw new IllegalArgumentException("'" + s + "' is not an existing directory");
    }
    return p;
  }

  /** A readable file that holds something besides white space (its content is never shown). */
  private static Path tokenFile(String s) {
    Path p = readableFile(s);
    try {
      if (Files.readString(p, java.nio.charset.StandardCharsets.UTF_8).isBlank()) {
        throw new IllegalArgumentException("'" + s + "' is empty");
      }
    } catch (java.io.IOException | java.io.UncheckedIOException e) {
      throw new IllegalArgumentException("'" + s + "' cannot be read as UTF-8 text");
    }
    return p;
  }

  private static Path readableFile(String s) {
    Path p = absolute(s);
    if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
      throw new IllegalArgumentException("'" + s + "' is not a readable file");
    }
    return p;
  }

  /** An existing directory holding a readable {@code inside} (a procfs mount holds {@code stat}). */
  private static Path dirWithFile(String s, String inside) {
    Path p = existingDir(s);
    if (!Files.isReadable(p.resolve(inside))) {
      throw new IllegalArgumentException("'" + s + "' has no readable " + inside + "; expected a procfs mount");
    }
    return p;
  }

  private static List<String> list(String s) {
    List<String> out = new ArrayList<>();
    for (String part : s.split(",")) {
      if (!part.isBlank()) {
        out.add(part.trim());
      }
    }
    return out;
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }

  /** The agent's version, from the jar manifest ({@code dev} when run from classes). */
  public static String version() {
    String v = Flags.class.getPackage().getImplementationVersion();
    return v == null ? "dev" : v;
  }
}
