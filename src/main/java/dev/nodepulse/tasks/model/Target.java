package dev.nodepulse.tasks.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonInclude.Include;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Duration;
import java.util.Map;

/**
 * Where a task's run goes: exactly one of http, tcp, pipe, compute ({@code spec.target}); in JSON an object with that
 * one field, named by {@link #type()}.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.WRAPPER_OBJECT)
@JsonSubTypes({@JsonSubTypes.Type(value = Target.Http.class, name = "http"),
    @JsonSubTypes.Type(value = Target.Tcp.class, name = "tcp"),
    @JsonSubTypes.Type(value = Target.Pipe.class, name = "pipe"),
    @JsonSubTypes.Type(value = Target.Compute.class, name = "compute")})
public sealed interface Target permits Target.Http, Target.Tcp, Target.Pipe, Target.Compute {

  /** The target type as written in the spec and in metric labels: http, tcp, pipe, compute. */
  String type();

  /** An HTTP request. {@code headers} values are plain text or references, resolved just before the run. */
  record Http(String url, String method, @JsonInclude(Include.NON_EMPTY) Map<String, HeaderValue> headers,
      String body, Duration timeout,
      @JsonInclude(Include.NON_DEFAULT) boolean insecureSkipTlsVerify,
      @JsonInclude(Include.NON_DEFAULT) int maxRedirects) implements Target {
    /** The timeout when the spec gives none. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);
    /**
     * Sent by the agent on every run: the task and its due time, the same on each retry of that due time
     * (docs/tasks.md, "Idempotency key"). A task's own header of this name (or User-Agent) is refused.
     */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    public Http {
      headers = Map.copyOf(headers);
    }

    @Override
    public String type() {
      return "http";
    }
  }

  /**
   * Connect to {@code address}, write the payload, optionally read one reply line, close. The address is
   * {@code host:port} (a name or an IPv4 address) or {@code [ipv6]:port} (brackets required, as in a URL:
   * {@code ::1:5000} is refused by the reader as ambiguous). The reader has checked it; {@link #host()} and
   * {@link #port()} split it.
   */
  record Tcp(String address, String payload, boolean readReply, Duration timeout) implements Target {
    /** The timeout when the spec gives none. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    /** The host: a name, an IPv4 address, or an IPv6 address without its brackets. */
    public String host() {
      int colon = address.lastIndexOf(':');
      return address.startsWith("[") ? address.substring(1, colon - 1) : address.substring(0, colon);
    }

    public int port() {
      return Integer.parseInt(address.substring(address.lastIndexOf(':') + 1));
    }

    @Override
    public String type() {
      return "tcp";
    }
  }

  /** Write {@code data} to a FIFO or file named under the agent's pipe directory. */
  record Pipe(String name, String data, Duration timeout) implements Target {
    /** The timeout when the spec gives none. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    @Override
    public String type() {
      return "pipe";
    }
  }

  /** Compute pi to {@code piDigits} decimal digits, reporting progress. */
  record Compute(@JsonIgnore int piDigits) implements Target {
    /** {@code pi: {digits}}. */
    @JsonProperty
    Map<String, Integer> pi() {
      return Map.of("digits", piDigits);
    }

    @Override
    public String type() {
      return "compute";
    }
  }

  /** A header value: plain text, a Secret key (cluster) or an environment variable (standalone). */
  sealed interface HeaderValue permits Plain, SecretKeyRef, EnvRef {}

  /** A string in JSON. */
  record Plain(@JsonValue String value) implements HeaderValue {}

  /** {@code {valueFrom: {secretKeyRef: {name, key}}}} in JSON. */
  record SecretKeyRef(String name, String key) implements HeaderValue {
    @JsonValue
    TaskDocument.Header json() {
      return new TaskDocument.Header(null, new TaskDocument.ValueFrom(new TaskDocument.SecretKeyRef(name, key), null));
    }
  }

  /** {@code {valueFrom: {env}}} in JSON. */
  record EnvRef(String name) implements HeaderValue {
    @JsonValue
    TaskDocument.Header json() {
      return new TaskDocument.Header(null, new TaskDocument.ValueFrom(null, name));
    }
  }
}
