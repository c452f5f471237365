package dev.nodepulse.tasks.model;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.nodepulse.config.Durations;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The one reader and validator of DelayedTask objects: YAML or JSON text (bytes, strictly UTF-8) into the records,
 * validating every field once, where the task enters (files, REST, and the cluster sources). Errors name the
 * field path and say what is accepted; they never quote the document beyond the field's own value, and a
 * document that does not parse is reported by position only (no parser internals, no file content).
 *
 * <p>Bounds: name a DNS-1123 subdomain (≤ 253), namespace a DNS-1123 label (≤ 63, default {@code default});
 * url ≤ 2048 characters, http/https; body, payload and data ≤ 64 KiB; ≤ 32 headers (value ≤ 8 KiB);
 * digits 1..1,000,000; delay 0s..365d; every 1s..365d; timeouts 10ms..1h; retry limit 0..10, backoff
 * 10ms..1h; startingDeadline 1s..365d; ≤ 64 labels and nodeSelector entries. Cron: {@code schedule} with 5
 * fields (Unix, minute first) or 6 fields (seconds first, Spring-style), in the time zone named by
 * {@code spec.timeZone} (IANA name, default UTC), as a Kubernetes CronJob's {@code timeZone}.
 */
public final class TaskReader {
  public static final long MAX_DATA_BYTES = 64 * 1024;
  public static final int MAX_URL = 2048;
  public static final int MAX_HEADERS = 32;
  public static final int MAX_DIGITS = 1_000_000;
  public static final Duration MAX_SPAN = Duration.ofDays(365);
  public static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");

  private static final Pattern SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}");
  /** Set by the HTTP client from the body; a given one could disagree with it and desync a pooled connection. */
  private static final Set<String> FRAMING_HEADERS = Set.of("content-length", "transfer-encoding");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,255}");
  /** A DNS name or an IPv4 address (the tcp target's host). */
  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9_]([A-Za-z0-9_.-]{0,252})");
  private static final Pattern PIPE_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,254}");

  private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final CronParser SECONDS =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.SPRING53));

  private static final ObjectMapper JSON = JsonMapper.builder()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION).build();
  private static final ObjectMapper YAML = YAMLMapper.builder(YAMLFactory.builder().build())
      .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

  /** The text's format. */
  public enum Format { JSON, YAML }

  private TaskReader() {}

  /**
   * Reads one DelayedTask from bytes that must be UTF-8 text (a file, a request body); its status, if given, is
   * ignored (the result's status is Pending).
   */
  public static DelayedTask read(byte[] bytes, Format format) throws TaskValidationException {
    return read(utf8(bytes), format);
  }

  /** Reads one DelayedTask from text; its status, if given, is ignored (the result's status is Pending). */
  public static DelayedTask read(String text, Format format) throws TaskValidationException {
    JsonNode root;
    try {
      root = readOne(text, format);
    } catch (StreamReadException e) {
      throw new TaskValidationException(List.of(new FieldError("(document)", notValid(e, format))));
    } catch (IOException e) {
      // our own "one per document" message: it quotes nothing from the document
      throw new TaskValidationException(List.of(new FieldError("(document)", e.getMessage())));
    } catch (RuntimeException e) { // a parser limit (nesting depth, token size): say where, quote nothing
      throw new TaskValidationException(List.of(new FieldError("(document)", "not valid " + format
          + ": too deeply nested or too large")));
    }
    return new Reader().task(root);
  }

  /**
   * The parser's complaint reduced to what is safe to show: the position, and for a duplicate key the key. Its
   * own message is never shown: it names parser internals and may quote the document (a file the agent may not
   * serve).
   */
  private static String notValid(StreamReadException e, Format format) {
    var loc = e.getLocation();
    String where = loc == null || loc.getLineNr() < 0 ? "" : " at line " + loc.getLineNr() + ", column "
        + loc.getColumnNr();
    String m = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
    var dup = java.util.regex.Pattern.compile("^Duplicate field '([^'\\n]{0,80})'").matcher(m);
    if (dup.find()) {
      return "Duplicate field '" + dup.group(1) + "'" + where;
    }
    if (m.contains("end-of-input") || m.contains("end of input")) {
      return "not valid " + format + where + ": the document ends too early";
    }
    return "not valid " + format + where;
  }

  /** Strict UTF-8: a byte sequence that is not UTF-8 is an error naming its position, never replaced. */
  static String utf8(byte[] bytes) throws TaskValidationException {
    var decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT);
    var in = java.nio.ByteBuffer.wrap(bytes);
    var out = java.nio.CharBuffer.allocate(bytes.length);
    var result = decoder.decode(in, out, true);
    if (result.isError()) {
      int at = in.position();
      int line = 1;
      int column = 1;
      for (int i = 0; i < at; i++) {
        if (bytes[i] == '\n') {
          line++;
          column = 1;
        } else if ((bytes[i] & 0xC0) != 0x80) {
          column++;
        }
      }
      throw new TaskValidationException(List.of(new FieldError("(document)", "not UTF-8 text: invalid byte at "
          + "offset " + at + " (line " + line + ", column " + column + ")")));
    }
    decoder.flush(out);
    return out.flip().toString();
  }

  private static JsonNode readOne(String text, Format format) throws IOException {
    ObjectMapper m = format == Format.JSON ? JSON : YAML;
    if (format == Format.JSON) {
      JsonNode n = m.readTree(text);
      return n;
    }
    List<JsonNode> docs = new ArrayList<>();
    try (MappingIterator<JsonNode> it = m.readerFor(JsonNode.class).readValues(text)) {
      while (it.hasNextValue()) {
        docs.add(it.nextValue());
      }
    }
    docs.removeIf(n -> n == null || n.isNull() || n.isMissingNode());
    if (docs.size() > 1) {
      throw new IOException("one DelayedTask per document: found " + docs.size() + " YAML documents");
    }
    return docs.isEmpty() ? null : docs.get(0);
  }

  // ---------------------------------------------------------------- reading

  private static final class Reader {
    final List<FieldError> errors = new ArrayList<>();

    void err(String field, String message) {
      errors.add(new FieldError(field, message));
    }

    DelayedTask task(JsonNode root) throws TaskValidationException {
      if (root == null || !root.isObject()) {
        throw new TaskValidationException(List.of(new FieldError("(document)",
            "must be a DelayedTask object with apiVersion, kind, metadata and spec")));
      }
      known(root, "", "apiVersion", "kind", "metadata", "spec", "status");
      String api = text(root, "apiVersion", "apiVersion", 64);
      if (api != null && !api.equals(DelayedTask.API_VERSION)) {
        err("apiVersion", "'" + api + "' is not supported; expected " + DelayedTask.API_VERSION);
      }
      String kind = text(root, "kind", "kind", 64);
      if (kind != null && !kind.equals(DelayedTask.KIND)) {
        err("kind", "'" + kind + "' is not supported; expected " + DelayedTask.KIND);
      }
      TaskMetadata md = metadata(root.get("metadata"));
      TaskSpec spec = spec(root.get("spec"));
      if (!errors.isEmpty()) {
        throw new TaskValidationException(errors);
      }
      return new DelayedTask(md, spec, TaskStatus.pending());
    }

    TaskMetadata metadata(JsonNode n) {
      if (!object(n, "metadata", true)) {
        return null;
      }
      known(n, "metadata", "name", "namespace", "generation", "uid", "resourceVersion", "labels", "annotations",
          "creationTimestamp");
      String name = text(n, "name", "metadata.name", 253);
      if (name == null && absent(n, "name")) {
        err("metadata.name", "required: a DNS-1123 name such as warm-cache");
      } else if (name != null && !SUBDOMAIN.matcher(name).matches()) {
        err("metadata.name", "'" + clip(name) + "' is not a DNS-1123 name: lower-case letters, digits, '-' and '.', "
            + "starting and ending with a letter or digit, at most 253 characters");
      }
      String ns = text(n, "namespace", "metadata.namespace", 63);
      if (ns == null) {
        ns = "default";
      } else if (!LABEL.matcher(ns).matches()) {
        err("metadata.namespace", "'" + clip(ns) + "' is not a DNS-1123 label: lower-case letters, digits and '-', "
            + "starting and ending with a letter or digit, at most 63 characters");
      }
      long gen = 1;
      if (n.has("generation")) {
        gen = integer(n.get("generation"), "metadata.generation", 0, Integer.MAX_VALUE, 1);
      }
      String uid = text(n, "uid", "metadata.uid", 128);
      String rv = text(n, "resourceVersion", "metadata.resourceVersion", 128);
      text(n, "creationTimestamp", "metadata.creationTimestamp", 64);
      stringMap(n.get("annotations"), "metadata.annotations", 64, 4096);
      Map<String, String> labels = stringMap(n.get("labels"), "metadata.labels", 64, 63);
      return new TaskMetadata(name, ns, gen, uid, rv, labels);
    }

    TaskSpec spec(JsonNode n) {
      if (!object(n, "spec", true)) {
        return null;
      }
      known(n, "spec", "title", "delay", "at", "every", "schedule", "timeZone", "target", "nodes", "nodeSelector",
          "retry", "startingDeadline");
      String title = text(n, "title", "spec.title", 256);
      Schedule timing = timing(n);
      Target target = target(n.get("target"));
      TaskSpec.Nodes nodes = TaskSpec.Nodes.ONE;
      String nodesText = text(n, "nodes", "spec.nodes", 16);
      if (nodesText != null) {
        switch (nodesText) {
          case "one" -> nodes = TaskSpec.Nodes.ONE;
          case "all" -> nodes = TaskSpec.Nodes.ALL;
          default -> err("spec.nodes", "'" + clip(nodesText) + "' is not accepted; expected one or all");
        }
      }
      Map<String, String> selector = stringMap(n.get("nodeSelector"), "spec.nodeSelector", 64, 63);
      TaskSpec.Retry retry = TaskSpec.Retry.NONE;
      JsonNode r = n.get("retry");
      if (r != null && !r.isNull() && object(r, "spec.retry", false)) {
        known(r, "spec.retry", "limit", "backoff");
        int limit = r.has("limit") ? integer(r.get("limit"), "spec.retry.limit", 0, 10, 0) : 0;
        Duration backoff = duration(r, "backoff", "spec.retry.backoff", Duration.ofMillis(10), Duration.ofHours(1));
        retry = new TaskSpec.Retry(limit, backoff == null ? TaskSpec.Retry.NONE.backoff() : backoff);
      }
      Duration deadline = duration(n, "startingDeadline", "spec.startingDeadline", Duration.ofSeconds(1), MAX_SPAN);
      if (!errors.isEmpty()) {
        return null;
      }
      return new TaskSpec(title, timing, target, nodes, selector, retry, deadline);
    }

    Schedule timing(JsonNode n) {
      List<String> found = new ArrayList<>();
      for (String f : List.of("delay", "at", "every", "schedule")) {
        if (n.has(f) && !n.get(f).isNull()) {
          found.add(f);
        }
      }
      if (n.has("timeZone") && !found.contains("schedule")) {
        err("spec.timeZone", "only allowed with schedule (a cron expression)");
      }
      if (found.size() != 1) {
        err("spec", "exactly one of delay, at, every, schedule is required (found "
            + (found.isEmpty() ? "none" : String.join(" and ", found)) + ")");
        return null;
      }
      return switch (found.get(0)) {
        case "delay" -> {
          Duration d = duration(n, "delay", "spec.delay", Duration.ZERO, MAX_SPAN);
          yield d == null ? null : new Schedule.Delay(d);
        }
        case "every" -> {
          Duration d = duration(n, "every", "spec.every", Duration.ofSeconds(1), MAX_SPAN);
          yield d == null ? null : new Schedule.Every(d);
        }
        case "at" -> {
          String t = text(n, "at", "spec.at", 64);
          if (t == null) {
            yield null;
          }
          try {
            OffsetDateTime at = OffsetDateTime.parse(t, DateTimeFormatter.ISO_OFFSET_DATE_TIME);
            if (at.getYear() < 0 || at.getYear() > 9999) { // RFC 3339 years have four digits
              throw new DateTimeParseException("year out of range", t, 0);
            }
            yield new Schedule.At(at.toInstant());
          } catch (DateTimeParseException e) {
            err("spec.at", "'" + clip(t) + "' is not an RFC 3339 time such as 2026-11-23T18:30:00Z or "
                + "2026-11-23T19:30:00+01:00");
            yield null;
          }
        }
        default -> cron(n);
      };
    }

    Schedule cron(JsonNode n) {
      String expr = text(n, "schedule", "spec.schedule", 256);
      ZoneId zone = ZoneOffset.UTC;
      String tz = text(n, "timeZone", "spec.timeZone", 64);
      if (tz != null) {
        try {
          zone = ZoneId.of(tz);
        } catch (DateTimeException e) {
          err("spec.timeZone", "'" + clip(tz) + "' is not a time zone; expected an IANA name such as UTC or "
              + "Europe/Paris");
          return null;
        }
      }
      if (expr == null) {
        return null;
      }
      String e = expr.trim().replaceAll("\\s+", " ");
      if (e.startsWith("CRON_TZ=") || e.startsWith("TZ=")) {
        err("spec.schedule", "time zone prefixes are not accepted; put the zone in spec.timeZone");
        return null;
      }
      int fields = e.isEmpty() ? 0 : e.split(" ").length;
      CronParser parser = switch (fields) {
        case 5 -> UNIX;
        case 6 -> SECONDS;
        default -> null;
      };
      if (parser == null) {
        err("spec.schedule", "'" + clip(expr) + "' has " + fields + " fields; expected a cron expression with 5 "
            + "fields (minute hour day-of-month month day-of-week) or 6 (seconds first)");
        return null;
      }
      try {
        var cron = parser.parse(e).validate();
        ExecutionTime et = ExecutionTime.forCron(cron);
        Schedule.Cron c = new Schedule.Cron(e, zone, et);
        if (c.next(Instant.now()).isEmpty()) {
          err("spec.schedule", "'" + clip(expr) + "' never fires");
          return null;
        }
        return c;
      } catch (RuntimeException ex) {
        err("spec.schedule", "'" + clip(expr) + "' is not a valid " + fields + "-field cron expression: "
            + ex.getMessage());
        return null;
      }
    }

    Target target(JsonNode n) {
      if (!object(n, "spec.target", true)) {
        return null;
      }
      known(n, "spec.target", "http", "tcp", "pipe", "compute");
      List<String> found = new ArrayList<>();
      n.fieldNames().forEachRemaining(f -> {
        if (Set.of("http", "tcp", "pipe", "compute").contains(f)) {
          found.add(f);
        }
      });
      if (found.size() != 1) {
        err("spec.target", "exactly one of http, tcp, pipe, compute is required (found "
            + (found.isEmpty() ? "none" : String.join(" and ", found)) + ")");
        return null;
      }
      String kind = found.get(0);
      String p = "spec.target." + kind;
      JsonNode t = n.get(kind);
      if (!object(t, p, true)) {
        return null;
      }
      Duration limit = Duration.ofHours(1);
      Duration min = Duration.ofMillis(10);
      return switch (kind) {
        case "http" -> {
          known(t, p, "url", "method", "headers", "body", "timeout", "insecureSkipTlsVerify", "maxRedirects");
          String url = text(t, "url", p + ".url", MAX_URL);
          if (url == null) {
            if (absent(t, "url")) {
              err(p + ".url", "required: an http or https URL");
            }
          } else {
            checkUrl(url, p + ".url");
          }
          String method = "GET";
          String m = text(t, "method", p + ".method", 16);
          if (m != null) {
            method = m.toUpperCase(Locale.ROOT);
            if (!METHODS.contains(method)) {
              err(p + ".method", "'" + clip(m) + "' is not accepted; expected one of GET, POST, PUT, PATCH, DELETE, "
                  + "HEAD, OPTIONS");
            }
          }
          Map<String, Target.HeaderValue> headers = headers(t.get("headers"), p + ".headers");
          String body = data(t, "body", p + ".body");
          Duration timeout = duration(t, "timeout", p + ".timeout", min, limit);
          boolean insecure = bool(t, "insecureSkipTlsVerify", p + ".insecureSkipTlsVerify", false);
          int redirects = t.has("maxRedirects") ? integer(t.get("maxRedirects"), p + ".maxRedirects", 0, 10, 0) : 0;
          yield new Target.Http(url, method, headers, body, timeout == null ? Target.Http.DEFAULT_TIMEOUT : timeout,
              insecure, redirects);
        }
        case "tcp" -> {
          known(t, p, "address", "payload", "readReply", "timeout");
          String address = text(t, "address", p + ".address", 300);
          if (address == null) {
            if (absent(t, "address")) {
              err(p + ".address", "required: host:port such as 10.0.0.5:5000");
            }
          } else {
            checkAddress(address, p + ".address");
          }
          String payload = data(t, "payload", p + ".payload");
          boolean readReply = bool(t, "readReply", p + ".readReply", false);
          Duration timeout = duration(t, "timeout", p + ".timeout", min, limit);
          yield new Target.Tcp(address, payload == null ? "" : payload, readReply,
              timeout == null ? Target.Tcp.DEFAULT_TIMEOUT : timeout);
        }
        case "pipe" -> {
          known(t, p, "name", "data", "timeout");
          String name = text(t, "name", p + ".name", 255);
          if (name == null) {
            if (absent(t, "name")) {
              err(p + ".name", "required: a file name under the agent's pipe directory");
            }
          } else if (!PIPE_NAME.matcher(name).matches() || name.contains("..")) {
            err(p + ".name", "'" + clip(name) + "' is not a plain file name (letters, digits, '.', '_', '-'; no "
                + "'/' or '..'): pipes live in the agent's pipe directory");
          }
          String data = data(t, "data", p + ".data");
          Duration timeout = duration(t, "timeout", p + ".timeout", min, limit);
          yield new Target.Pipe(name, data == null ? "" : data, timeout == null ? Target.Pipe.DEFAULT_TIMEOUT : timeout);
        }
        default -> {
          known(t, p, "pi");
          JsonNode pi = t.get("pi");
          int digits = 0;
          if (object(pi, p + ".pi", true)) {
            known(pi, p + ".pi", "digits");
            if (absent(pi, "digits")) {
              err(p + ".pi.digits", "required: the number of decimal digits, 1 to " + MAX_DIGITS);
            } else {
              digits = integer(pi.get("digits"), p + ".pi.digits", 1, MAX_DIGITS, 0);
            }
          }
          yield new Target.Compute(digits);
        }
      };
    }

    Map<String, Target.HeaderValue> headers(JsonNode n, String path) {
      Map<String, Target.HeaderValue> out = new LinkedHashMap<>();
      if (n == null || n.isNull()) {
        return out;
      }
      if (!object(n, path, false)) {
        return out;
      }
      if (n.size() > MAX_HEADERS) {
        err(path, n.size() + " headers; at most " + MAX_HEADERS + " are accepted");
        return out;
      }
      for (Map.Entry<String, JsonNode> e : n.properties()) {
        String hp = path + "." + e.getKey();
        if (!TOKEN.matcher(e.getKey()).matches()) {
          err(hp, "is not a valid header name (letters, digits and !#$%&'*+.^_`|~-)");
          continue;
        }
        if (FRAMING_HEADERS.contains(e.getKey().toLowerCase(Locale.ROOT))) {
          err(hp, "is not accepted: the agent frames the request from the body");
          continue;
        }
        JsonNode v = e.getValue();
        if (v.isValueNode() && !v.isNull()) {
          String s = v.asText();
          if (s.length() > 8192 || s.chars().anyMatch(c -> c != '\t' && Character.isISOControl(c))) {
            err(hp, "header values must be one line of at most 8192 characters, without control characters");
          } else {
            out.put(e.getKey(), new Target.Plain(s));
          }
          continue;
        }
        if (!v.isObject()) {
          err(hp, "must be a string or {valueFrom: {secretKeyRef: {name, key}}} or {valueFrom: {env: NAME}}");
          continue;
        }
        known(v, hp, "valueFrom");
        JsonNode vf = v.get("valueFrom");
        if (!object(vf, hp + ".valueFrom", true)) {
          continue;
        }
        known(vf, hp + ".valueFrom", "secretKeyRef", "env");
        boolean hasSecret = vf.has("secretKeyRef");
        boolean hasEnv = vf.has("env");
        if (hasSecret == hasEnv) {
          err(hp + ".valueFrom", "exactly one of secretKeyRef, env is required");
          continue;
        }
        if (hasEnv) {
          String env = text(vf, "env", hp + ".valueFrom.env", 256);
          if (env != null && !ENV_NAME.matcher(env).matches()) {
            err(hp + ".valueFrom.env", "'" + clip(env) + "' is not an environment variable name");
          } else if (env != null) {
            out.put(e.getKey(), new Target.EnvRef(env));
          }
        } else {
          JsonNode ref = vf.get("secretKeyRef");
          String rp = hp + ".valueFrom.secretKeyRef";
          if (object(ref, rp, true)) {
            known(ref, rp, "name", "key");
            String name = text(ref, "name", rp + ".name", 253);
            String key = text(ref, "key", rp + ".key", 253);
            if (name == null || key == null) {
              err(rp, "name and key are required");
            } else {
              out.put(e.getKey(), new Target.SecretKeyRef(name, key));
            }
          }
        }
      }
      return out;
    }

    void checkUrl(String url, String path) {
      try {
        URI u = new URI(url);
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
          err(path, "must be an http or https URL with a host, such as http://api.shop:8080/warm (got '"
              + clip(url) + "')");
        }
      } catch (URISyntaxException e) {
        err(path, "must be an http or https URL (got '" + clip(url) + "': " + e.getReason() + ")");
      }
    }

    void checkAddress(String address, String path) {
      if (address.startsWith("[")) {
        int close = address.indexOf(']');
        String literal = close < 0 ? "" : address.substring(1, close);
        boolean ok = close > 1 && address.startsWith(":", close + 1) && port(address.substring(close + 2))
            && literal.matches("[0-9A-Fa-f:.]+") && literal.contains(":") && ipv6(literal);
        if (!ok) {
          err(path, "'" + clip(address) + "' is not [ipv6]:port such as [fd00::5]:5000 (port 1 to 65535)");
        }
        return;
      }
      int colon = address.lastIndexOf(':');
      if (colon > 0 && address.indexOf(':') != colon) {
        err(path, "'" + clip(address) + "' is ambiguous: write an IPv6 address in brackets, as [::1]:5000");
        return;
      }
      String host = colon > 0 ? address.substring(0, colon) : "";
      boolean ok = HOST.matcher(host).matches() && port(address.substring(colon + 1));
      if (!ok) {
        err(path, "'" + clip(address) + "' is not host:port such as 10.0.0.5:5000 or [fd00::5]:5000 (port 1 to "
            + "65535)");
      }
    }

    private static boolean port(String p) {
      return p.matches("\\d{1,5}") && Integer.parseInt(p) >= 1 && Integer.parseInt(p) <= 65535;
    }

    /** A well-formed IPv6 literal, IPv4-mapped forms included (only hex digits, ':' and '.': no name is looked up). */
    private static boolean ipv6(String literal) {
      try {
        return java.net.InetAddress.getByName("[" + literal + "]") != null;
      } catch (java.net.UnknownHostException e) {
        return false;
      }
    }

    String data(JsonNode n, String field, String path) {
      String s = text(n, field, path, Integer.MAX_VALUE);
      if (s != null && s.getBytes(StandardCharsets.UTF_8).length > MAX_DATA_BYTES) {
        err(path, "too large: at most " + MAX_DATA_BYTES + " bytes (64 KiB)");
        return null;
      }
      return s;
    }

    /** A field that is missing or null: a required one is then reported as required. */
    static boolean absent(JsonNode parent, String field) {
      JsonNode v = parent.get(field);
      return v == null || v.isNull();
    }

    /** A string field; null when absent (no error) or wrong (error). */
    String text(JsonNode parent, String field, String path, int maxLen) {
      JsonNode v = parent.get(field);
      if (v == null || v.isNull()) {
        return null;
      }
      if (!v.isTextual()) {
        err(path, "must be a string, not " + kindOf(v));
        return null;
      }
      String s = v.asText();
      if (s.length() > maxLen) {
        err(path, "too long: at most " + maxLen + " characters");
        return null;
      }
      return s;
    }

    boolean bool(JsonNode parent, String field, String path, boolean dflt) {
      JsonNode v = parent.get(field);
      if (v == null || v.isNull()) {
        return dflt;
      }
      if (!v.isBoolean()) {
        err(path, "must be true or false, not " + kindOf(v));
        return dflt;
      }
      return v.asBoolean();
    }

    int integer(JsonNode v, String path, int min, int max, int dflt) {
      if (v == null || v.isNull()) {
        return dflt;
      }
      if (!v.isIntegralNumber()) {
        err(path, "must be a whole number from " + min + " to " + max + ", not " + kindOf(v));
        return dflt;
      }
      if (!v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
        err(path, clip(v.asText()) + " is out of range; expected a whole number from " + min + " to " + max);
        return dflt;
      }
      return v.asInt();
    }

    Duration duration(JsonNode parent, String field, String path, Duration min, Duration max) {
      JsonNode v = parent.get(field);
      if (v == null || v.isNull()) {
        return null;
      }
      if (!v.isTextual()) {
        err(path, "must be " + Durations.ACCEPTS + " (a string), not " + kindOf(v));
        return null;
      }
      Duration d;
      try {
        d = Durations.parse(v.asText());
      } catch (IllegalArgumentException | ArithmeticException e) {
        err(path, "'" + clip(v.asText()) + "' is not " + Durations.ACCEPTS);
        return null;
      }
      if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
        err(path, "'" + clip(v.asText()) + "' is out of range; expected " + Durations.format(min) + " to "
            + (max.equals(MAX_SPAN) ? "365d" : Durations.format(max)));
        return null;
      }
      return d;
    }

    Map<String, String> stringMap(JsonNode n, String path, int maxEntries, int maxValue) {
      Map<String, String> out = new TreeMap<>();
      if (n == null || n.isNull()) {
        return out;
      }
      if (!object(n, path, false)) {
        return out;
      }
      if (n.size() > maxEntries) {
        err(path, n.size() + " entries; at most " + maxEntries + " are accepted");
        return out;
      }
      for (Map.Entry<String, JsonNode> e : n.properties()) {
        JsonNode v = e.getValue();
        if (e.getKey().length() > 317) {
          err(path, "key too long: at most 317 characters");
        } else if (!v.isValueNode() || v.isNull()) {
          err(path + "." + e.getKey(), "must be a string, not " + kindOf(v));
        } else if (v.asText().length() > maxValue) {
          err(path + "." + e.getKey(), "too long: at most " + maxValue + " characters");
        } else {
          out.put(e.getKey(), v.asText());
        }
      }
      return out;
    }

    boolean object(JsonNode n, String path, boolean required) {
      if (n == null || n.isNull()) {
        if (required) {
          err(path, "required" + (path.equals("spec.target") ? ": exactly one of http, tcp, pipe, compute" : ""));
        }
        return false;
      }
      if (!n.isObject()) {
        err(path, "must be an object (a map of fields), not " + kindOf(n));
        return false;
      }
      return true;
    }

    void known(JsonNode n, String path, String... fields) {
      Set<String> ok = Set.of(fields);
      n.fieldNames().forEachRemaining(f -> {
        if (!ok.contains(f)) {
          err((path.isEmpty() ? "" : path + ".") + clip(f), "unknown field; known: " + String.join(", ", fields));
        }
      });
    }
  }

  private static String kindOf(JsonNode v) {
    if (v.isTextual()) {
      return "a string";
    }
    if (v.isNumber()) {
      return "a number";
    }
    if (v.isBoolean()) {
      return "a boolean";
    }
    if (v.isArray()) {
      return "a list";
    }
    if (v.isObject()) {
      return "an object";
    }
    return "null";
  }

  private static String clip(String s) {
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }
}
