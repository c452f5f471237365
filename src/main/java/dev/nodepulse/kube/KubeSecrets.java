package dev.nodepulse.kube;

import dev.nodepulse.kube.wire.Problems;
import dev.nodepulse.tasks.model.Target;
import dev.nodepulse.tasks.run.SecretResolver;
import io.fabric8.kubernetes.api.model.Secret;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Header values from Secrets in the task's namespace, read when the run starts (needs {@code secrets get}); never
 * cached, logged or written to status. Env references fall back to the agent's environment.
 */
final class KubeSecrets implements SecretResolver {
  private final Vertx vertx;
  private final KubeLink link;
  private final SecretResolver env = SecretResolver.environment(System::getenv);

  KubeSecrets(Vertx vertx, KubeLink link) {
    this.vertx = vertx;
    this.link = link;
  }

  @Override
  public Future<String> resolve(String namespace, String header, Target.HeaderValue ref) {
    if (!(ref instanceof Target.SecretKeyRef s)) {
      return env.resolve(namespace, header, ref);
    }
    String what = "header " + header + ": secretKeyRef " + namespace + "/" + s.name() + " key " + s.key();
    if (link.client == null) {
      return Future.failedFuture(what + ": the API server is not reachable");
    }
    return vertx.executeBlocking(() -> {
      Secret secret;
      try {
        secret = link.client.secrets().inNamespace(namespace).withName(s.name()).get();
      } catch (RuntimeException e) {
        throw new IllegalStateException(what + ": " + Problems.describe(e));
      }
      if (secret == null) {
        throw new IllegalStateException(what + ": no such Secret");
      }
      if (secret.getData() != null && secret.getData().containsKey(s.key())) {
        return new String(Base64.getDecoder().decode(secret.getData().get(s.key())), StandardCharsets.UTF_8);
      }
      if (secret.getStringData() != null && secret.getStringData().containsKey(s.key())) {
        return secret.getStringData().get(s.key());
      }
      throw new IllegalStateException(what + ": the Secret has no such key");
    }, false).recover(err -> Future.failedFuture(err.getMessage()));
  }
}
