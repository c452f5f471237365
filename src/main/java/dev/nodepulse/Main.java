package dev.nodepulse;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.nodepulse.config.Config;
import dev.nodepulse.config.Flags;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/** {@code java -jar nodepulse.jar [options]}: parse flags and environment, start the agent, stop on SIGTERM. */
public final class Main {
  private Main() {}

  public static void main(String[] args) {
    Config config;
    try {
      config = Flags.parse(args, System.getenv());
    } catch (Flags.Info info) {
      System.out.print(info.getMessage().endsWith("\n") ? info.getMessage() : info.getMessage() + "\n");
      return;
    } catch (Flags.BadOption bad) {
      System.err.println("nodepulse: " + bad.getMessage());
      System.exit(2);
      return;
    }
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).setLevel(Level.toLevel(config.logLevel()));
    org.slf4j.Logger log = LoggerFactory.getLogger(Main.class);

    Agent agent;
    try {
      agent = Agent.start(config).await(2, TimeUnit.MINUTES);
    } catch (Exception e) {
      Throwable cause = e.getCause() != null && e.getMessage() == null ? e.getCause() : e;
      System.err.println("nodepulse: cannot start: " + cause.getMessage());
      System.exit(1);
      return;
    }
    log.info("nodepulse {} ({} mode, node {}) serving http://{}:{}/", Flags.version(),
        config.mode().name().toLowerCase(java.util.Locale.ROOT), config.nodeName(), config.httpHost(), agent.httpPort());

    CountDownLatch stopped = new CountDownLatch(1);
    Runnable stop = () -> {
      log.info("stopping");
      try {
        agent.stop().await(20, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("stop did not finish cleanly: {}", e.toString());
      }
      stopped.countDown();
    };
    // SIGTERM and SIGINT end in a clean stop with exit code 0 (a shutdown hook alone would give 143).
    for (String sig : new String[] {"TERM", "INT"}) {
      Signal.handle(new Signal(sig), s -> Thread.ofPlatform().name("nodepulse-stop").start(stop));
    }
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    log.info("stopped");
    System.exit(0);
  }
}
