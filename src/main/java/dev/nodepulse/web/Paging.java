package dev.nodepulse.web;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/**
 * A list's paging, as Kubernetes lists page: {@code ?limit=N} (1 to {@code max}, default {@code byDefault}) and
 * {@code ?continue=TOKEN} from the previous answer's {@code metadata.continue}. A token names the last key of
 * the page it ends (base64url of the key), not a snapshot: it never expires, and pages taken while items
 * come and go neither skip nor repeat one that stays. Checked here, where the request enters.
 */
record Paging(int limit, String after) {
  /** The longest key a token may name (a task's namespace/name, a mount point). */
  private static final int MAX_KEY = 1024;

  /** The request's paging, or null when it was answered with a 400 that names the parameter and its value. */
  static Paging of(RoutingContext ctx, int byDefault, int max) {
    int limit = byDefault;
    String raw = first(ctx, "limit");
    if (raw != null) {
      limit = raw.matches("\\d{1,9}") ? Integer.parseInt(raw) : -1;
      if (limit < 1 || limit > max) {
        Errors.send(ctx, 400, "limit must be a whole number from 1 to " + max, details("limit", raw));
        return null;
      }
    }
    String token = first(ctx, "continue");
    String after = null;
    if (token != null && !token.isEmpty()) {
      after = keyOf(token);
      if (after == null) {
        Errors.send(ctx, 400, "continue must be the metadata.continue of a previous page of this list",
            details("continue", token));
        return null;
      }
    }
    return new Paging(limit, after);
  }

  /** The token that continues after {@code lastKey}. */
  static String token(String lastKey) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(lastKey.getBytes(StandardCharsets.UTF_8));
  }

  /** A list answer's {@code metadata}: the token and how many follow when more do, else empty. */
  static JsonObject metadata(String lastKey, int remaining) {
    JsonObject m = new JsonObject();
    if (lastKey != null && remaining > 0) {
      m.put("continue", token(lastKey)).put("remainingItemCount", remaining);
    }
    return m;
  }

  private static String keyOf(String token) {
    if (token.length() > (MAX_KEY * 4 + 2) / 3 || !token.matches("[A-Za-z0-9_-]+")) {
      return null;
    }
    try {
      byte[] bytes = Base64.getUrlDecoder().decode(token);
      String key = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
      boolean plain = key.chars().noneMatch(Character::isISOControl);
      return plain && !key.isEmpty() && key.length() <= MAX_KEY ? key : null;
    } catch (IllegalArgumentException | CharacterCodingException e) {
      return null;
    }
  }

  private static JsonObject details(String field, String value) {
    return new JsonObject().put("field", field).put("value", value.length() > 200 ? value.substring(0, 200) + "…" : value);
  }

  private static String first(RoutingContext ctx, String name) {
    List<String> all = ctx.queryParam(name);
    return all.isEmpty() ? null : all.get(0);
  }
}
