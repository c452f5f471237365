package dev.nodepulse.tasks.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.tasks.model.Target;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The secrets step alone: standalone env refs, secretKeyRef refused, and a plugged-in resolver. */
class SecretResolverTest {
  static Target.Http http(Map<String, Target.HeaderValue> headers) {
    return new Target.Http("http://127.0.0.1/", "GET", headers, null, Duration.ofSeconds(1), false, 0);
  }

  @Test
  void standaloneResolvesEnvAndRefusesSecretsNamingTheHeader() {
    SecretResolver env = SecretResolver.environment(k -> k.equals("TOKEN") ? "s3cret" : null);
    Map<String, Target.HeaderValue> h = new LinkedHashMap<>();
    h.put("X-Plain", new Target.Plain("1"));
    h.put("X-Token", new Target.EnvRef("TOKEN"));
    Future<Map<String, String>> ok = Headers.resolve(env, "shop", http(h));
    assertThat(ok.result()).containsExactly(Map.entry("X-Plain", "1"), Map.entry("X-Token", "s3cret"));

    Future<Map<String, String>> unset = Headers.resolve(env, "shop",
        http(Map.of("X-Token", new Target.EnvRef("NOPE"))));
    assertThat(unset.cause().getMessage()).isEqualTo("header X-Token: environment variable NOPE is not set");
    Future<Map<String, String>> secret = Headers.resolve(env, "shop",
        http(Map.of("Authorization", new Target.SecretKeyRef("shop-token", "token"))));
    assertThat(secret.cause().getMessage()).contains("header Authorization").contains("needs --mode kubernetes");
    assertThat(Headers.resolve(env, "shop", new Target.Compute(5)).result()).isEmpty();
  }

  @Test
  void aPluggedInResolverAnswersForItsNamespace() {
    SecretResolver cluster = (ns, header, ref) -> ref instanceof Target.SecretKeyRef s
        ? Future.succeededFuture(ns + "/" + s.name() + "/" + s.key()) : Future.failedFuture("no");
    assertThat(Headers.resolve(cluster, "shop", http(Map.of("A", new Target.SecretKeyRef("n", "k")))).result())
        .containsEntry("A", "shop/n/k");
  }
}
