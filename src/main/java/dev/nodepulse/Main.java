package dev.nodepulse;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.nodepulse.config.Config;
import dev.nodepulse.config.Flags;
import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.LoggerFactory;

/** {@code java -jar nodepulse.jar [options]}: parse flags and environment, start the agent, stop on SIGTERM. */
public final class Main {
  private Main() {}

  /** A start: the running agent, or none and the exit code (0 after --help or --version). */
  record Started(Agent agent, int exit) {}

  public static void main(String[] args) {
    Started started = start(args, System.getenv(), System.out, System.err);
    if (started.agent() == null) {
      System.exit(started.exit());
      return;
    }
    Agent agent = started.agent();
    // SIGTERM and SIGINT run the shutdown hooks: stop cleanly, then end with exit code 0 (not 143)
    Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().name("nodepulse-stop").unstarted(() -> {
      org.slf4j.Logger log = LoggerFactory.getLogger(Main.class);
      log.info("stopping");
      try {
        agent.stop().await(20, TimeUnit.SECONDS);
        log.info("stopped");
      } catch (Exception e) {
        log.warn("stop did not finish cleanly: {}", e.toString());
      }
      Runtime.getRuntime().halt(0);
    }));
  }

  /**
   * Parses the options and starts the agent. A refused start prints one line to {@code err} and
   * creates nothing in the data dir: bad options, a listener address in use and options a concern
   * refuses ({@link Agent#start}) are found before anything is opened. Only a start that fails later
   * (a port taken between the check and the listen) has its data dir entries removed again.
   */
  static Started start(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
    Config config;
    try {
      config = Flags.parse(args, env);
    } catch (Flags.Info info) {
      out.print(info.getMessage().endsWith("\n") ? info.getMessage() : info.getMessage() + "\n");
      return new Started(null, 0);
    } catch (Flags.BadOption bad) {
      err.println("nodepulse: " + bad.getMessage());
      return new Started(null, 2);
    }
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.toLevel(config.logLevel()));

    String busy = unavailableListener(config);
    if (busy != null) {
      err.println("nodepulse: " + busy);
      return new Started(null, 2);
    }
    DataDirBefore before = DataDirBefore.of(config.dataDir());
    Agent agent;
    try {
      agent = Agent.start(config).await(2, TimeUnit.MINUTES);
    } catch (Exception e) {
      before.restore();
      Throwable cause = e.getCause() != null && e.getMessage() == null ? e.getCause() : e;
      String listener = unavailableListener(config); // taken between the check and the start
      err.println("nodepulse: " + (listener != null ? listener : "cannot start: " + cause.getMessage()));
      return new Started(null, 1);
    }
    LoggerFactory.getLogger(Main.class).info("nodepulse {} ({} mode, node {}) serving http://{}:{}/", Flags.version(),
        config.mode().name().toLowerCase(java.util.Locale.ROOT), config.nodeName(), config.httpHost(), agent.httpPort());
    return new Started(agent, 0);
  }

  /** Why a listener of this config cannot be opened (naming its address and the flag to change), or null. */
  static String unavailableListener(Config config) {
    String http = unavailable(config.httpHost(), config.httpPort(), "--http-host", "--http-port");
    if (http != null || config.metricsPort() == null) {
      return http;
    }
    return unavailable(config.metricsHost(), config.metricsPort(), "--metrics-host", "--metrics-port");
  }

  private static String unavailable(String host, int port, String hostFlag, String portFlag) {
    if (port == 0) {
      return null; // any free port
    }
    try (ServerSocket probe = new ServerSocket()) {
      probe.setReuseAddress(true); // as the listeners do: a port in TIME_WAIT is free
      probe.bind(new InetSocketAddress(host, port));
      return null;
    } catch (BindException e) {
      String what = e.getMessage() == null ? "" : e.getMessage().toLowerCase(java.util.Locale.ROOT);
      return what.contains("in use")
          ? "cannot listen on " + host + ":" + port + ": address already in use; choose another port with " + portFlag
              + " (0 picks a free one)"
          : "cannot listen on " + host + ":" + port + ": " + e.getMessage() + "; check " + hostFlag;
    } catch (IOException | RuntimeException e) {
      return "cannot listen on " + host + ":" + port + ": " + e.getMessage() + "; check " + hostFlag + " and " + portFlag;
    }
  }

  /** What the data dir held before a start, so a start that fails can leave it as it was. */
  private record DataDirBefore(Path created, Path dataDir, Set<Path> entries) {
    static DataDirBefore of(Path dataDir) {
      Path missing = null;
      for (Path p = dataDir; p != null && !Files.exists(p); p = p.getParent()) {
        missing = p; // the topmost directory a start would create
      }
      if (missing != null) {
        return new DataDirBefore(missing, dataDir, Set.of());
      }
      try (Stream<Path> list = Files.list(dataDir)) {
        return new DataDirBefore(null, dataDir, list.collect(Collectors.toSet()));
      } catch (IOException e) {
        return new DataDirBefore(null, dataDir, null); // not a directory we can read: nothing to restore
      }
    }

    void restore() {
      try {
        if (created != null) {
          delete(created);
        } else if (entries != null && Files.isDirectory(dataDir)) {
          List<Path> added;
          try (Stream<Path> list = Files.list(dataDir)) {
            added = list.filter(p -> !entries.contains(p)).toList();
          }
          for (Path p : added) {
            delete(p);
          }
        }
      } catch (IOException e) {
        System.err.println("nodepulse: could not remove what the failed start created in " + dataDir + ": " + e.getMessage());
      }
    }

    private static void delete(Path root) throws IOException {
      if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        return;
      }
      try (Stream<Path> walk = Files.walk(root)) { // links are not followed: a link is removed, not its target
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
