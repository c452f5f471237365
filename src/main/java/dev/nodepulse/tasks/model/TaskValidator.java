package dev.nodepulse.tasks.model;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import dev.nodepulse.config.Durations;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one validation of a DelayedTask: one pass over the document as {@link TaskReader} bound it, which reports
 * every wrong value by its field path with what is accepted, and builds the records when there is none.
 *
 * <p>Bounds: name a DNS-1123 subdomain (≤ 253), namespace a DNS-1123 label (≤ 63, default {@code default});
 * url ≤ 2048 characters, http/https; body, payload and data ≤ 64 Ki characters; ≤ 32 headers (value ≤ 8 Ki
 * characters, ISO-8859-1); a duration, an {@code at} time or a time zone ≤ 64 characters; lengths count characters
 * (code points), as the API server's {@code maxLength} and CEL's {@code size()} do ({@link Limits}, the bounds the
 * CRD's schema is generated from);
 * digits 1..1,000,000; delay 0s..365d; every 1s..365d; timeouts 10ms..1h; retry limit 0..10, backoff
 * 10ms..1h; startingDeadline 1s..365d; jitter 0s..1h (and less than every); ttlAfterFinished 0s..30d (one-shots
 * only); ≤ 64 labels and nodeSelector entries. Cron: {@code schedule} with 5
 * fields (Unix, minute first) or 6 fields (seconds first, Spring-style), in the time zone named by
 * {@code spec.timeZone} (IANA name, default UTC), as a Kubernetes CronJob's {@code timeZone}. A tcp address is
 * {@code host:port} or {@code [ipv6]:port}: an IPv6 address without brackets ({@code ::1:5000}) is ambiguous.
 */
final class TaskValidator {
  private static final Duration MAX_SPAN = Duration.ofMillis(Limits.SPAN_MS);
  private static final Duration MIN_EVERY = Duration.ofMillis(Limits.MIN_EVERY_MS);
  private static final Duration MIN_TIMEOUT = Duration.ofMillis(Limits.MIN_TIMEOUT_MS);
  private static final Duration MAX_TIMEOUT = Duration.ofMillis(Limits.MAX_TIMEOUT_MS);
  private static final Set<String> METHODS = Set.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS");
  private static final Pattern SUBDOMAIN =
      Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*");
  private static final Pattern LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]{1,256}");
  /** Set by the HTTP client from the body; a given one could disagree with it and desync a pooled connection. */
  private static final Set<String> FRAMING_HEADERS = Set.of("content-length", "transfer-encoding");
  /** Sent by the agent on every http run (docs/tasks.md, "Idempotency key"): a task's value would hide it. */
  private static final Set<String> AGENT_HEADERS =
      Set.of(Target.Http.IDEMPOTENCY_KEY.toLowerCase(Locale.ROOT), "user-agent");
  private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,255}");
  private static final Pattern BRACKETED = Pattern.compile("\\[([0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)]:(\\d{1,5})");
  private static final Pattern HOST_PORT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}:(\\d{1,5})");
  /** A URL's user info: {@code scheme://user:password@}, up to the authority's end. */
  private static final Pattern USER_INFO = Pattern.compile("^([A-Za-z][A-Za-z0-9+.-]*://)[^/?#]*@");
  private static final Pattern PIPE_NAME = Pattern.compile(Limits.PIPE_NAME_PATTERN);
  private static final CronParser UNIX = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final CronParser SECONDS =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.SPRING53));

  private TaskValidator() {}

  /** The records of a bound document; every wrong value in one exception. */
  static DelayedTask validate(TaskDocument d) throws TaskValidationException {
    return new TaskValidator().task(d);
  }

  /** A value shortened for an error message. */
  static String clip(String s) {
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }

  private final List<FieldError> errors = new ArrayList<>();

  /** Records an error; null, so that a check can {@code return fail(...)}. */
  private <T> T fail(String field, String message) {
    errors.add(new FieldError(field, message));
    return null;
  }

  private DelayedTask task(TaskDocument d) throws TaskValidationException {
    if (d.apiVersion() != null && !d.apiVersion().equals(DelayedTask.API_VERSION)) {
      fail("apiVersion", "'" + clip(d.apiVersion()) + "' is not supported; expected " + DelayedTask.API_VERSION);
    }
    if (d.kind() != null && !d.kind().equals(DelayedTask.KIND)) {
      fail("kind", "'" + clip(d.kind()) + "' is not supported; expected " + DelayedTask.KIND);
    }
    TaskMetadata md = d.metadata() == null ? fail("metadata", "required") : metadata(d.metadata());
    TaskSpec spec = d.spec() == null ? fail("spec", "required") : spec(d.spec());
    if (!errors.isEmpty()) {
      throw new TaskValidationException(errors);
    }
    return new DelayedTask(md, spec, TaskStatus.pending());
  }

  private TaskMetadata metadata(TaskDocument.Metadata m) {
    String name = m.name();
    if (name == null) {
      fail("metadata.name", "required: a DNS-1123 name such as warm-cache");
    } else if (name.length() > 253 || !SUBDOMAIN.matcher(name).matches()) {
      fail("metadata.name", "'" + clip(name) + "' is not a DNS-1123 name: lower-case letters, digits, '-' and '.', "
          + "starting and ending with a letter or digit, at most 253 characters");
    }
    String ns = m.namespace() == null ? "default" : m.namespace();
    if (ns.length() > 63 || !LABEL.matcher(ns).matches()) {
      fail("metadata.namespace", "'" + clip(ns) + "' is not a DNS-1123 label: lower-case letters, digits and '-', "
          + "starting and ending with a letter or digit, at most 63 characters");
    }
    long generation = number(m.generation(), "metadata.generation", 0, Integer.MAX_VALUE, 1);
    String uid = text(m.uid(), "metadata.uid", 128);
    String rv = text(m.resourceVersion(), "metadata.resourceVersion", 128);
    text(m.creationTimestamp(), "metadata.creationTimestamp", 64);
    map(m.annotations(), "metadata.annotations", 64, 4096);
    return new TaskMetadata(name, ns, generation, uid, rv, map(m.labels(), "metadata.labels", Limits.LABELS, Limits.LABEL_VALUE));
  }

  private TaskSpec spec(TaskDocument.Spec s) {
    String title = text(s.title(), "spec.title", Limits.TITLE);
    Schedule timing = timing(s);
    Target target = s.target() == null ? fail("spec.target", "required: exactly one of http, tcp, pipe, compute")
        : target(s.target());
    TaskSpec.Nodes nodes = switch (s.nodes() == null ? "one" : s.nodes()) {
      case "one" -> TaskSpec.Nodes.ONE;
      case "all" -> TaskSpec.Nodes.ALL;
      default -> fail("spec.nodes", "'" + clip(s.nodes()) + "' is not accepted; expected one or all");
    };
    Map<String, String> selector = map(s.nodeSelector(), "spec.nodeSelector", Limits.LABELS, Limits.LABEL_VALUE);
    TaskSpec.Retry retry = TaskSpec.Retry.NONE;
    if (s.retry() != null) {
      int limit = (int) number(s.retry().limit(), "spec.retry.limit", 0, Limits.RETRIES, 0);
      retry = new TaskSpec.Retry(limit, duration(s.retry().backoff(), "spec.retry.backoff", MIN_TIMEOUT, MAX_TIMEOUT,
          TaskSpec.Retry.NONE.backoff()));
    }
    Duration deadline = duration(s.startingDeadline(), "spec.startingDeadline", MIN_EVERY, MAX_SPAN, null);
    Duration jitter = jitter(s.jitter(), timing);
    TaskSpec.MissedRuns missedRuns = missedRuns(s.missedRuns());
    TaskSpec.ConcurrencyPolicy overlap = concurrencyPolicy(s.concurrencyPolicy());
    int history = (int) number(s.history(), "spec.history", 1, Limits.HISTORY, Limits.HISTORY_DEFAULT);
    return errors.isEmpty() ? new TaskSpec(title, timing, target, nodes, selector, retry, deadline, jitter, missedRuns,
        suspend(s), overlap, history, ttlAfterFinished(s.ttlAfterFinished(), timing)) : null;
  }

  /**
   * {@code spec.ttlAfterFinished}: 0s to {@link Limits#MAX_TTL_AFTER_FINISHED}, only for a one-shot (delay, at): a
   * recurring task never finishes, so it is refused there rather than ignored; null when not given.
   */
  private Duration ttlAfterFinished(String text, Schedule timing) {
    Duration ttl = duration(text, "spec.ttlAfterFinished", Duration.ZERO, Limits.MAX_TTL_AFTER_FINISHED, null);
    if (ttl != null && timing != null && !timing.oneShot()) {
      return fail("spec.ttlAfterFinished", "'" + clip(text) + "' is only accepted for a one-shot task (delay or at); "
          + "a task with every or schedule never finishes");
    }
    return ttl;
  }

  /** {@code spec.suspend}: a JSON boolean (the binding refuses another type); absent is false. */
  private static boolean suspend(TaskDocument.Spec s) {
    return Boolean.TRUE.equals(s.suspend());
  }

  /** {@code spec.missedRuns}: RunLatest (the default) or Skip. */
  private TaskSpec.MissedRuns missedRuns(String value) {
    if (value == null) {
      return TaskSpec.MissedRuns.RunLatest;
    }
    for (TaskSpec.MissedRuns m : TaskSpec.MissedRuns.values()) {
      if (m.name().equals(value)) {
        return m;
      }
    }
    return fail("spec.missedRuns", "'" + clip(value) + "' is not accepted; expected RunLatest or Skip");
  }

  private TaskSpec.ConcurrencyPolicy concurrencyPolicy(String s) {
    if (s == null) {
      return TaskSpec.ConcurrencyPolicy.Forbid;
    }
    for (TaskSpec.ConcurrencyPolicy p : TaskSpec.ConcurrencyPolicy.values()) {
      if (p.name().equals(s)) {
        return p;
      }
    }
    return fail("spec.concurrencyPolicy", "'" + clip(s) + "' is not accepted; expected Forbid, Allow or Replace");
  }

  private Schedule timing(TaskDocument.Spec s) {
    if (s.timeZone() != null && s.schedule() == null) {
      fail("spec.timeZone", "only allowed with schedule (a cron expression)");
    }
    String one = one("spec", "delay, at, every, schedule", s.delay(), s.at(), s.every(), s.schedule());
    if (one == null) {
      return null;
    }
    return switch (one) {
      case "delay" -> new Schedule.Delay(duration(s.delay(), "spec.delay", Duration.ZERO, MAX_SPAN, null));
      case "every" -> new Schedule.Every(duration(s.every(), "spec.every", MIN_EVERY, MAX_SPAN, null));
      case "at" -> at(s.at());
      default -> cron(s.schedule(), s.timeZone());
    };
  }

  /** The one of {@code names} that is given (values in the same order), or null with an error naming those found. */
  private String one(String field, String names, Object... values) {
    String[] n = names.split(", ");
    List<String> found = new ArrayList<>();
    for (int i = 0; i < n.length; i++) {
      if (values[i] != null) {
        found.add(n[i]);
      }
    }
    return found.size() == 1 ? found.get(0) : fail(field, "exactly one of " + names + " is required (found "
        + (found.isEmpty() ? "none" : String.join(" and ", found)) + ")");
  }

  private Schedule at(String text) {
    if (text(text, "spec.at", Limits.WORD) == null) {
      return null;
    }
    try {
      OffsetDateTime at = OffsetDateTime.parse(text);
      if (at.getYear() >= 0 && at.getYear() <= 9999) { // RFC 3339 years have four digits
        return new Schedule.At(at.toInstant());
      }
    } catch (DateTimeException e) {
      // reported below
    }
    return fail("spec.at", "'" + clip(text) + "' is not an RFC 3339 time such as 2026-11-23T18:30:00Z or "
        + "2026-11-23T19:30:00+01:00");
  }

  private Schedule cron(String expr, String timeZone) {
    ZoneId zone = ZoneOffset.UTC;
    if (timeZone != null) {
      if (text(timeZone, "spec.timeZone", Limits.WORD) == null) {
        return null;
      }
      if (!ZoneId.getAvailableZoneIds().contains(timeZone) || timeZone.startsWith("SystemV/")) {
        return fail("spec.timeZone", "'" + clip(timeZone) + "' is not an IANA time zone name; expected a name such "
            + "as UTC, Europe/Paris or America/New_York (a fixed offset is an Etc name: Etc/GMT-5 is UTC+5)");
      }
      zone = ZoneId.of(timeZone);
    }
    if (text(expr, "spec.schedule", Limits.SCHEDULE) == null) {
      return null;
    }
    String e = expr.trim().replaceAll("\\s+", " ");
    if (e.startsWith("CRON_TZ=") || e.startsWith("TZ=")) {
      return fail("spec.schedule", "time zone prefixes are not accepted; put the zone in spec.timeZone");
    }
    int fields = e.isEmpty() ? 0 : e.split(" ").length;
    if (fields < 5 || fields > 6) {
      return fail("spec.schedule", "'" + clip(expr) + "' has " + fields + " fields; expected a cron expression "
          + "with 5 fields (minute hour day-of-month month day-of-week) or 6 (seconds first)");
    }
    try {
      var c = new Schedule.Cron(e, zone, ExecutionTime.forCron((fields == 5 ? UNIX : SECONDS).parse(e).validate()));
      // without a year field whether it ever fires does not depend on when it is asked: a fixed instant keeps
      // validation a function of the task alone
      return c.next(Instant.EPOCH).isPresent() ? c : fail("spec.schedule", "'" + clip(expr) + "' never fires");
    } catch (RuntimeException ex) { // cron-utils' words are not shown: the wrong field is found here
      return fail("spec.schedule", "'" + clip(expr) + "' is not a valid " + fields + "-field cron expression: "
          + wrongField(e.split(" ")));
    }
  }

  private static final String[] CRON_FIELDS = {"second", "minute", "hour", "day-of-month", "month", "day-of-week"};
  private static final String[] CRON_VALUES = {"0-59", "0-59", "0-23", "1-31", "1-12 or JAN-DEC", "0-7 or SUN-SAT"};

  /** Names the first field that is wrong on its own (the others set to *), in the agent's words. */
  private static String wrongField(String[] parts) {
    int skip = parts.length == 5 ? 1 : 0;
    for (int i = 0; i < parts.length; i++) {
      String[] alone = new String[parts.length];
      java.util.Arrays.fill(alone, "*");
      alone[i] = parts[i];
      try {
        ExecutionTime.forCron((parts.length == 5 ? UNIX : SECONDS).parse(String.join(" ", alone)).validate());
      } catch (RuntimeException wrong) {
        return "field " + (i + 1) + " (" + CRON_FIELDS[i + skip] + ") '" + clip(parts[i]) + "' is not accepted; "
            + "expected " + CRON_VALUES[i + skip] + ", or *, a range a-b, a list a,b, a step */n or a-b/n"
            + (parts.length == 6 && (i == 3 || i == 5) ? ", ?, L, W or #" : "");
      }
    }
    return "its fields do not go together (such as ? in both day fields)";
  }

  private Target target(TaskDocument.Targets t) {
    String one = one("spec.target", "http, tcp, pipe, compute", t.http(), t.tcp(), t.pipe(), t.compute());
    if (one == null) {
      return null;
    }
    String p = "spec.target." + one;
    return switch (one) {
      case "http" -> http(t.http(), p);
      case "tcp" -> {
        String address = t.tcp().address() == null ? fail(p + ".address", "required: host:port such as 10.0.0.5:5000")
            : address(t.tcp().address(), p + ".address");
        yield new Target.Tcp(address, data(t.tcp().payload(), p + ".payload"), Boolean.TRUE.equals(t.tcp().readReply()),
            duration(t.tcp().timeout(), p + ".timeout", MIN_TIMEOUT, MAX_TIMEOUT, Target.Tcp.DEFAULT_TIMEOUT));
      }
      case "pipe" -> {
        String name = t.pipe().name();
        if (name == null) {
          fail(p + ".name", "required: a file name under the agent's pipe directory");
        } else if (!PIPE_NAME.matcher(name).matches() || name.contains("..")) {
          fail(p + ".name", "'" + clip(name) + "' is not a plain file name (letters, digits, '.', '_', '-'; no '/' "
              + "or '..'): pipes live in the agent's pipe directory");
        }
        yield new Target.Pipe(name, data(t.pipe().data(), p + ".data"),
            duration(t.pipe().timeout(), p + ".timeout", MIN_TIMEOUT, MAX_TIMEOUT, Target.Pipe.DEFAULT_TIMEOUT));
      }
      default -> {
        TaskDocument.Pi pi = t.compute().pi();
        if (pi == null || pi.digits() == null) {
          yield fail(p + (pi == null ? ".pi" : ".pi.digits"), "required: the number of decimal digits, 1 to "
              + Limits.PI_DIGITS);
        }
        yield new Target.Compute((int) number(pi.digits(), p + ".pi.digits", 1, Limits.PI_DIGITS, 0));
      }
    };
  }

  private Target http(TaskDocument.Http h, String p) {
    String url = h.url() == null ? fail(p + ".url", "required: an http or https URL") : url(h.url(), p + ".url");
    String method = h.method() == null ? "GET" : h.method().toUpperCase(Locale.ROOT);
    if (!METHODS.contains(method)) {
      fail(p + ".method", "'" + clip(h.method()) + "' is not accepted; expected one of GET, POST, PUT, PATCH, "
          + "DELETE, HEAD, OPTIONS");
    }
    Map<String, Target.HeaderValue> headers = new LinkedHashMap<>();
    if (h.headers() != null && h.headers().size() > Limits.HEADERS) {
      fail(p + ".headers", h.headers().size() + " headers; at most " + Limits.HEADERS + " are accepted");
    } else if (h.headers() != null) {
      h.headers().forEach((name, v) -> {
        Target.HeaderValue value = header(name, v, p + ".headers." + clip(name));
        if (value != null) {
          headers.put(name, value);
        }
      });
    }
    return new Target.Http(url, method, headers, h.body() == null ? null : data(h.body(), p + ".body"),
        duration(h.timeout(), p + ".timeout", MIN_TIMEOUT, MAX_TIMEOUT, Target.Http.DEFAULT_TIMEOUT),
        Boolean.TRUE.equals(h.insecureSkipTlsVerify()), (int) number(h.maxRedirects(), p + ".maxRedirects", 0, Limits.REDIRECTS, 0));
  }

  private Target.HeaderValue header(String name, TaskDocument.Header v, String hp) {
    if (!TOKEN.matcher(name).matches()) {
      return fail(hp, "is not a valid header name (letters, digits and !#$%&'*+.^_`|~-)");
    }
    if (FRAMING_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
      return fail(hp, "is not accepted: the agent frames the request from the body");
    }
    if (AGENT_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
      return fail(hp, "is not accepted: it is set by the agent (Idempotency-Key: the task and its due time, the "
          + "same on a retry; User-Agent: nodepulse/<version>)");
    }
    if (v == null || v.value() == null && v.valueFrom() == null) {
      return fail(hp, "must be a string or {valueFrom: {secretKeyRef: {name, key}}} or {valueFrom: {env: NAME}}");
    }
    if (v.value() != null) {
      boolean oneLine = v.value().chars().noneMatch(c -> c != '\t' && Character.isISOControl(c));
      if (characters(v.value()) > Limits.HEADER_VALUE || !oneLine) {
        return fail(hp, "header values must be one line of at most " + Limits.HEADER_VALUE + " characters, without "
            + "control characters");
      }
      int wide = v.value().codePoints().filter(c -> c > 0xFF).findFirst().orElse(-1);
      return wide < 0 ? new Target.Plain(v.value()) : fail(hp, "header values are ISO-8859-1 text (HTTP): "
          + character(wide) + " at position " + (v.value().codePoints().takeWhile(c -> c != wide).count() + 1)
          + " is not; encode it as the receiver expects (percent-encoding, base64)");
    }
    var from = v.valueFrom();
    if ((from.secretKeyRef() == null) == (from.env() == null)) {
      return fail(hp + ".valueFrom", "exactly one of secretKeyRef, env is required");
    }
    if (from.env() != null) {
      return ENV_NAME.matcher(from.env()).matches() ? new Target.EnvRef(from.env())
          : fail(hp + ".valueFrom.env", "'" + clip(from.env()) + "' is not an environment variable name");
    }
    var ref = from.secretKeyRef();
    if (ref.name() == null || ref.key() == null || characters(ref.name()) > 253 || characters(ref.key()) > 253) {
      return fail(hp + ".valueFrom.secretKeyRef", "name and key are required (at most 253 characters each)");
    }
    return new Target.SecretKeyRef(ref.name(), ref.key());
  }

  private String url(String url, String field) {
    if (text(url, field, Limits.URL) == null) {
      return null;
    }
    Matcher info = USER_INFO.matcher(url);
    if (info.find()) { // refused, and shown without it: it may hold a password
      return fail(field, "'" + clip(info.replaceFirst("$1***@")) + "' carries user info (user:password@), which "
          + "the agent neither sends nor hides; put credentials in a header, such as Authorization, from a Secret "
          + "(valueFrom.secretKeyRef)");
    }
    URI u;
    try {
      u = new URI(url);
    } catch (URISyntaxException e) { // the parser's reason is not shown: the character and its place are
      int at = e.getIndex();
      return fail(field, "'" + clip(url) + "' is not an http or https URL" + (at < 0 || at >= url.length() ? ""
          : ": " + character(url.codePointAt(at)) + " at position " + (at + 1) + " is not expected there"
          + (url.charAt(at) == '%' ? " (% starts an escape of two hex digits, such as %20)"
          : " (percent-encode it, as %20 for a space)")));
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    return (scheme.equals("http") || scheme.equals("https")) && u.getHost() != null ? url
        : fail(field, "must be an http or https URL with a host, such as http://api.shop:8080/warm (got '"
            + clip(url) + "')");
  }

  /** A character for an error message: itself in quotes and its code point, as '€' (U+20AC). */
  private static String character(int c) {
    return (c == ' ' ? "a space " : Character.isISOControl(c) || Character.isWhitespace(c) ? "character "
        : "'" + Character.toString(c) + "' ") + String.format("(U+%04X)", c);
  }

  /** {@code host:port} or {@code [ipv6]:port}; an unbracketed IPv6 address is ambiguous and refused. */
  private String address(String address, String field) {
    if (text(address, field, Limits.ADDRESS) == null) {
      return null;
    }
    if (address.startsWith("[")) {
      Matcher m = BRACKETED.matcher(address);
      return m.matches() && port(m.group(2)) && ipv6(m.group(1)) ? address
          : fail(field, "'" + clip(address) + "' is not [ipv6]:port such as [fd00::5]:5000 (port 1 to 65535)");
    }
    if (address.indexOf(':') != address.lastIndexOf(':')) {
      return fail(field, "'" + clip(address) + "' is ambiguous: write an IPv6 address in brackets, as [::1]:5000");
    }
    Matcher m = HOST_PORT.matcher(address);
    return m.matches() && port(m.group(1)) ? address : fail(field, "'" + clip(address) + "' is not host:port such "
        + "as 10.0.0.5:5000 or [fd00::5]:5000 (port 1 to 65535)");
  }

  private static boolean port(String p) {
    int n = Integer.parseInt(p);
    return n >= 1 && n <= 65535;
  }

  /** A well-formed IPv6 literal, IPv4-mapped forms included (only hex digits, ':' and '.': no name is looked up). */
  private static boolean ipv6(String literal) {
    try {
      return InetAddress.getByName("[" + literal + "]") != null;
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /** A body, payload or data: at most {@link Limits#DATA} characters; absent is empty. */
  private String data(String s, String field) {
    if (s == null) {
      return "";
    }
    return characters(s) <= Limits.DATA ? s
        : fail(field, "too large: at most " + Limits.DATA + " characters (64 Ki)");
  }

  /** {@code s} when at most {@code maxLength} characters (code points, as {@link Limits} counts); null is null. */
  private String text(String s, String field, int maxLength) {
    return s == null || characters(s) <= maxLength ? s
        : fail(field, "too long: at most " + maxLength + " characters");
  }

  private static int characters(String s) {
    return s.codePointCount(0, s.length());
  }

  private long number(BigInteger n, String field, long min, long max, long absent) {
    if (n == null) {
      return absent;
    }
    if (n.compareTo(BigInteger.valueOf(min)) < 0 || n.compareTo(BigInteger.valueOf(max)) > 0) {
      fail(field, clip(n.toString()) + " is out of range; expected a whole number from " + min + " to " + max);
      return absent;
    }
    return n.longValueExact();
  }

  /** A duration from {@code min} to {@code max}; {@code absent} when not given. */
  private Duration duration(String text, String field, Duration min, Duration max, Duration absent) {
    if (text == null) {
      return absent;
    }
    if (text(text, field, Limits.WORD) == null) {
      return null;
    }
    Duration d;
    try {
      d = Durations.parse(text);
    } catch (IllegalArgumentException | ArithmeticException e) {
      return fail(field, "'" + clip(text) + "' is not " + Durations.ACCEPTS);
    }
    return d.compareTo(min) >= 0 && d.compareTo(max) <= 0 ? d : fail(field, "'" + clip(text) + "' is out of range; "
        + "expected " + Durations.format(min) + " to " + (!max.isZero() && max.toMillis() % 86_400_000 == 0
        ? max.toDays() + "d" : Durations.format(max)));
  }

  private Map<String, String> map(Map<String, String> m, String field, int maxEntries, int maxValue) {
    if (m == null) {
      return Map.of();
    }
    if (m.size() > maxEntries) {
      fail(field, m.size() + " entries; at most " + maxEntries + " are accepted");
      return Map.of();
    }
    Map<String, String> out = new TreeMap<>();
    m.forEach((k, v) -> {
      if (characters(k) > 317) {
        fail(field, "key too long: at most 317 characters");
      } else if (v == null || characters(v) > maxValue) {
        fail(field + "." + clip(k), v == null ? "must be a string, not null" : "too long: at most " + maxValue
            + " characters");
      } else {
        out.put(k, v);
      }
    });
    return out;
  }

  /**
   * {@code spec.jitter}: 0s to {@link Limits#MAX_JITTER}, and less than the interval of {@code every} (a spread of a
   * whole interval or more would only move the schedule); zero when not given.
   */
  private Duration jitter(String text, Schedule timing) {
    Duration j = duration(text, "spec.jitter", Duration.ZERO, Limits.MAX_JITTER, Duration.ZERO);
    if (j != null && timing instanceof Schedule.Every e && e.every() != null && j.compareTo(e.every()) >= 0) {
      return fail("spec.jitter", "'" + clip(text) + "' is not less than every (" + Durations.format(e.every())
          + "); the spread must be shorter than the interval");
    }
    return j;
  }
}
