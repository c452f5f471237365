package dev.nodepulse.web;

import dev.nodepulse.util.Sha256;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Set;

/**
 * Guards the calls that change tasks (POST, PUT, PATCH, DELETE): on a loopback listener they pass (only
 * the machine itself and port-forward reach it); on any other listener they need
 * {@code Authorization: Bearer <token>} with the token of {@code --api-token-file} (401 without, 403 when
 * wrong, compared in constant time). Without a token file they are refused there.
 */
final class ApiToken implements Handler<RoutingContext> {
  private static final Set<HttpMethod> MUTATING = Set.of(HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH,
      HttpMethod.DELETE);

  private final boolean loopback;
  /** SHA-256 of the token (equal lengths for the constant-time compare), or null without a token file. */
  private final byte[] expected;

  private ApiToken(boolean loopback, byte[] expected) {
    this.loopback = loopback;
    this.expected = expected;
  }

  /**
   * Reads the token file and resolves the listen address off the event loop. Fails naming the flag when the
   * file cannot be read or is empty; the file's content is never shown.
   */
  static Future<ApiToken> create(Vertx vertx, String listenHost, Path tokenFile) {
    return vertx.executeBlocking(() -> {
      boolean loopback = InetAddress.getByName(listenHost).isLoopbackAddress();
      if (tokenFile == null) {
        return new ApiToken(loopback, null);
      }
      String token;
      try {
        token = Files.readString(tokenFile, StandardCharsets.UTF_8).strip();
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException("--api-token-file " + tokenFile + " cannot be read");
      }
      if (token.isEmpty()) {
        throw new IllegalArgumentException("--api-token-file " + tokenFile + " is empty");
      }
      return new ApiToken(loopback, Sha256.of(token));
    }, false);
  }

  @Override
  public void handle(RoutingContext ctx) {
    if (loopback || !MUTATING.contains(ctx.request().method())) {
      ctx.next();
      return;
    }
    if (expected == null) {
      Errors.send(ctx, 403, "changing tasks on a listener that is not loopback needs --api-token-file", null);
      return;
    }
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      ctx.response().putHeader("WWW-Authenticate", "Bearer");
      Errors.send(ctx, 401, "changing tasks on this listener needs Authorization: Bearer <token>",
          new JsonObject().put("field", "Authorization"));
      return;
    }
    if (!MessageDigest.isEqual(expected, Sha256.of(header.substring(7).strip()))) {
      Errors.send(ctx, 403, "the bearer token is not this agent's", new JsonObject().put("field", "Authorization"));
      return;
    }
    ctx.next();
  }
}
