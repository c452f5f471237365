package dev.nodepulse.web;

import dev.nodepulse.config.Config;
import dev.nodepulse.config.Durations;
import dev.nodepulse.config.Flags;
import dev.nodepulse.sampler.SamplerVerticle;
import dev.nodepulse.util.MediaType;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Pattern;

/** The node's REST paths under /api/v1 (answered by the sampler over the event bus) and /api/v1/sum. */
final class Api {
  static final int MAX_TOP = 100;
  /** Partitions in a page when none is asked, and the most a page holds. */
  static final int PARTITIONS_PAGE = 100;
  static final int MAX_PARTITIONS_PAGE = 500;
  private static final DeliveryOptions ASK = new DeliveryOptions().setSendTimeout(10_000);
  /** A plain decimal number as a query value; the exponent is bounded so sums stay small. */
  private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d{1,400}(\\.\\d{0,400})?|\\.\\d{1,400})([eE][+-]?\\d{1,3})?");

  private final Vertx vertx;
  private final Config config;

  private Api(Vertx vertx, Config config) {
    this.vertx = vertx;
    this.config = config;
  }

  static void mount(Vertx vertx, Router router, Config config) {
    Api api = new Api(vertx, config);
    router.get("/api/v1/host").handler(api::host);
    router.get("/api/v1/cpu").handler(ctx -> api.fromLatest(ctx, s -> {
      JsonObject cpu = s.getJsonObject("cpu", new JsonObject()).copy();
      return cpu.put("sampledAt", s.getValue("sampledAt"));
    }));
    router.get("/api/v1/cpu/times").handler(ctx -> api.fromLatest(ctx, s -> s.getJsonObject("times", new JsonObject())));
    router.get("/api/v1/memory").handler(ctx -> api.fromLatest(ctx, s -> s.getJsonObject("memory", new JsonObject())));
    router.get("/api/v1/partitions").handler(api::partitions);
    router.get("/api/v1/processes").handler(api::processes);
    router.get("/api/v1/history").handler(api::history);
    router.get("/api/v1/sum").handler(Api::sumQuery);
    router.post("/api/v1/sum").handler(Api::sumBody);
  }

  private void host(RoutingContext ctx) {
    ask(vertx, ctx, SamplerVerticle.HOST, new JsonObject()).onSuccess(h -> ctx.json(h.copy()
        .put("version", Flags.version())
        .put("mode", config.mode().name().toLowerCase(Locale.ROOT))));
  }

  private void fromLatest(RoutingContext ctx, Function<JsonObject, JsonObject> pick) {
    ask(vertx, ctx, SamplerVerticle.LATEST, new JsonObject()).onSuccess(s -> ctx.json(pick.apply(s)));
  }

  /**
   * The latest sample's partitions a page at a time, by mount point ({@link Paging}: a node with thousands of
   * mounts is answered in bounded pages): {@code {"metadata": {"continue"?, "remainingItemCount"?}, "partitions"}}.
   */
  private void partitions(RoutingContext ctx) {
    Paging p = Paging.of(ctx, PARTITIONS_PAGE, MAX_PARTITIONS_PAGE);
    if (p == null) {
      return;
    }
    ask(vertx, ctx, SamplerVerticle.LATEST, new JsonObject()).onSuccess(s -> {
      List<JsonObject> all = new ArrayList<>();
      for (Object o : s.getJsonArray("partitions", new JsonArray())) {
        if (o instanceof JsonObject part && part.getString("mountPoint") != null
            && (p.after() == null || part.getString("mountPoint").compareTo(p.after()) > 0)) {
          all.add(part);
        }
      }
      all.sort(Comparator.comparing(part -> part.getString("mountPoint")));
      List<JsonObject> page = all.subList(0, Math.min(p.limit(), all.size()));
      String last = page.isEmpty() ? null : page.getLast().getString("mountPoint");
      ctx.json(new JsonObject().put("metadata", Paging.metadata(last, all.size() - page.size()))
          .put("partitions", new JsonArray(new ArrayList<>(page))));
    });
  }

  private void processes(RoutingContext ctx) {
    int top = 10;
    String raw = single(ctx, "top");
    if (raw != null) {
      try {
        top = Integer.parseInt(raw);
      } catch (NumberFormatException e) {
        top = -1;
      }
      if (top < 1 || top > MAX_TOP) {
        Errors.send(ctx, 400, "top must be a whole number from 1 to " + MAX_TOP,
            new JsonObject().put("field", "top").put("value", raw));
        return;
      }
    }
    ask(vertx, ctx, SamplerVerticle.PROCESSES, new JsonObject().put("top", top))
        .compose(p -> UsageRoutes.withOwners(vertx, p)).onSuccess(ctx::json);
  }

  /**
   * The last {@code window} of history: a bad duration is a 400 naming {@code window}; a window longer
   * than {@code --history} is cut to it (that is all there is); a zero window has no points.
   */
  private void history(RoutingContext ctx) {
    Duration max = config.history();
    Duration window = max;
    String raw = single(ctx, "window");
    if (raw != null) {
      try {
        window = Durations.parse(raw);
      } catch (ArithmeticException e) {
        window = max;
      } catch (IllegalArgumentException e) {
        Errors.send(ctx, 400, "window: " + e.getMessage(), new JsonObject().put("field", "window").put("value", raw));
        return;
      }
      if (window.compareTo(max) > 0) {
        window = max;
      }
      if (window.isZero()) {
        ctx.json(new JsonObject().put("points", new JsonArray()));
        return;
      }
    }
    ask(vertx, ctx, SamplerVerticle.HISTORY, new JsonObject().put("windowMs", window.toMillis())).onSuccess(ctx::json);
  }

  /** The first value of a query parameter, or null when absent. */
  private static String single(RoutingContext ctx, String name) {
    List<String> all = ctx.queryParam(name);
    return all.isEmpty() ? null : all.get(0);
  }

  /**
   * Asks a concern over the event bus; on failure the request is answered with the mapped error
   * ({@link Errors#fromBus}) and the returned future fails. Used by every REST route that asks a concern.
   */
  static Future<JsonObject> ask(Vertx vertx, RoutingContext ctx, String address, JsonObject body) {
    return vertx.eventBus().<JsonObject>request(address, body, ASK)
        .map(m -> m.body())
        .onFailure(err -> Errors.fromBus(ctx, address, err));
  }

  private static void sumQuery(RoutingContext ctx) {
    BigDecimal sum = BigDecimal.ZERO;
    for (Map.Entry<String, String> e : ctx.queryParams()) {
      String v = e.getValue().trim();
      if (NUMBER.matcher(v).matches()) {
        sum = sum.add(new BigDecimal(v));
      }
    }
    answerSum(ctx, sum);
  }

  private static void sumBody(RoutingContext ctx) {
    String type = ctx.request().getHeader("content-type");
    String media = MediaType.of(type);
    if (!media.equals("application/json") && !(media.startsWith("application/") && media.endsWith("+json"))) {
      Errors.send(ctx, 415, "the body must be JSON (content-type application/json)",
          new JsonObject().put("field", "content-type").put("value", type));
      return;
    }
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0 || body.toString().isBlank()) {
      Errors.send(ctx, 400, "the body is empty; expected a JSON object or array of numbers", null);
      return;
    }
    Object json;
    try {
      json = Json.decodeValue(body);
    } catch (DecodeException e) {
      // where it broke, never the parser's text (it quotes the body and names Java classes)
      JsonObject where = e.getCause() instanceof com.fasterxml.jackson.core.JsonProcessingException p
          && p.getLocation() != null
          ? new JsonObject().put("line", p.getLocation().getLineNr()).put("column", p.getLocation().getColumnNr())
          : null;
      Errors.send(ctx, 400, "the body is not valid JSON", where);
      return;
    }
    BigDecimal sum = BigDecimal.ZERO;
    Iterable<?> values = switch (json) {
      case JsonObject o -> o.getMap().values();
      case JsonArray a -> a;
      case null -> List.of();
      default -> List.of(json);
    };
    for (Object v : values) {
      BigDecimal n = numeric(v);
      if (n != null) {
        sum = sum.add(n);
      }
    }
    answerSum(ctx, sum);
  }

  private static BigDecimal numeric(Object v) {
    if (!(v instanceof Number n) || v instanceof Double d && !Double.isFinite(d) || v instanceof Float f && !Float.isFinite(f)) {
      return null;
    }
    try {
      return new BigDecimal(n.toString());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * Answers a sum: a whole number as an integer ({@code 6}, not {@code 6.0}), else the nearest double.
   * A sum beyond the double range (about ±1.8e308, the largest number most JSON readers take) is a 400.
   */
  private static void answerSum(RoutingContext ctx, BigDecimal sum) {
    double d = sum.doubleValue();
    if (!Double.isFinite(d)) {
      Errors.send(ctx, 400, "the sum is beyond the range of a JSON number (about ±1.8e308)", null);
      return;
    }
    Number n = d == Math.rint(d) && Math.abs(d) < 9.0e15 ? (Number) (long) d : (Number) d;
    ctx.json(new JsonObject().put("sum", n));
  }
}
