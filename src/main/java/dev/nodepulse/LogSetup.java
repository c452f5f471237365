package dev.nodepulse;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;

/**
 * The agent's logging, set up in code (found by logback through META-INF/services): one line per event
 * on stdout, Netty and fabric8 at WARN. Done without logback's XML configurator, which loads about 600
 * classes (its model, actions and an XML parser) into every agent for a few lines of settings. A file
 * named by {@code -Dlogback.configurationFile} or a {@code logback-test.xml} still wins.
 */
public final class LogSetup extends ContextAwareBase implements Configurator {
  static final String PATTERN = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{20} %msg%n";

  @Override
  public ExecutionStatus configure(LoggerContext ctx) {
    if (System.getProperty("logback.configurationFile") != null
        || LogSetup.class.getClassLoader().getResource("logback-test.xml") != null) {
      return ExecutionStatus.INVOKE_NEXT_IF_ANY;
    }
    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(ctx);
    encoder.setPattern(PATTERN);
    encoder.start();
    ConsoleAppender<ILoggingEvent> console = new ConsoleAppender<>();
    console.setContext(ctx);
    console.setName("STDOUT");
    console.setEncoder(encoder);
    console.start();
    ch.qos.logback.classic.Logger root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(Level.INFO);
    root.addAppender(console);
    ctx.getLogger("io.netty").setLevel(Level.WARN);
    ctx.getLogger("io.fabric8").setLevel(Level.WARN);
    // the SockJS bridge logs what clients send wrong (an ERROR per frame of an unknown type, a WARN per refused
    // register): a log flood any client can cause. web.CountedSocket logs what matters about a live client.
    ctx.getLogger("io.vertx.ext.web.handler.sockjs.impl.EventBusBridgeImpl").setLevel(Level.OFF);
    // the informers' list and watch failures are told by the agent's own exception handler, in one line per
    // outage (kube/wire/Reachability.java); fabric8's would repeat each with a stack trace
    ctx.getLogger("io.fabric8.kubernetes.client.informers.impl.cache.Reflector").setLevel(Level.OFF);
    // a watch's socket cut by an outage: WARN lines with a stack trace each; the outage is told once (as above)
    ctx.getLogger("io.fabric8.kubernetes.client.jdkhttp.JdkWebSocketImpl").setLevel(Level.ERROR);
    return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
  }
}
