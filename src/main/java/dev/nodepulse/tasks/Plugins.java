package dev.nodepulse.tasks;

import dev.nodepulse.tasks.run.Claims;
import dev.nodepulse.tasks.run.Runner;
import dev.nodepulse.tasks.run.SecretResolver;
import dev.nodepulse.tasks.status.StatusSink;
import java.time.Clock;
import java.util.List;
import java.util.function.Function;

/**
 * What a run mode plugs into the task pipeline without editing it: the claim step, the secret resolver, extra
 * status sinks (added after the page, metrics and history sinks), and for tests a runner and a clock.
 * {@code runner} null: the real targets.
 */
public record Plugins(Claims claims, SecretResolver secrets, List<StatusSink> sinks, Runner runner, Clock clock) {

  public Plugins {
    sinks = List.copyOf(sinks);
  }

  /** Standalone: claims granted locally, env refs from the agent's environment, no extra sinks. */
  public static Plugins standalone() {
    return standalone(System::getenv);
  }

  public static Plugins standalone(Function<String, String> env) {
    return new Plugins(Claims.local(), SecretResolver.environment(env), List.of(), null, Clock.systemUTC());
  }

  public Plugins withRunner(Runner r, Clock c) {
    return new Plugins(claims, secrets, sinks, r, c);
  }

  public Plugins withClaims(Claims c) {
    return new Plugins(c, secrets, sinks, runner, clock);
  }

  public Plugins withSecrets(SecretResolver s) {
    return new Plugins(claims, s, sinks, runner, clock);
  }

  public Plugins withSinks(List<StatusSink> extra) {
    return new Plugins(claims, secrets, extra, runner, clock);
  }
}
