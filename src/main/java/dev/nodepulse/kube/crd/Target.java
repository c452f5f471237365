package dev.nodepulse.kube.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;
import dev.nodepulse.tasks.model.Limits;
import io.fabric8.kubernetes.api.model.AnyType;
import java.util.Map;

/** {@code spec.target} on the wire: exactly one of the four. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(value = "[has(self.http), has(self.tcp), has(self.pipe), has(self.compute)].filter(x, x).size() == 1",
    message = "exactly one of http, tcp, pipe, compute is required", reason = "FieldValueInvalid")
public class Target {
  @JsonPropertyDescription("Send an HTTP request.") public Http http;

  @JsonPropertyDescription("Connect to host:port, write the payload, optionally read one reply line.") public Tcp tcp;

  @JsonPropertyDescription("Write data to a FIFO or file in the agent's pipe directory on the node.") public Pipe pipe;

  @JsonPropertyDescription("Run a computation, reporting progress while it runs.") public Compute compute;


  /** An HTTP request. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Http {
    @JsonPropertyDescription("An http or https URL with a host, at most " + Limits.URL + " characters.")
    @Required @Size(max = Limits.URL) @Pattern("^[Hh][Tt][Tt][Pp][Ss]?://[^/?#\\s]+([/?#]\\S*)?$") public String url;

    @JsonPropertyDescription("GET (default), POST, PUT, PATCH, DELETE, HEAD or OPTIONS.") public Method method;

    @JsonPropertyDescription("Request headers (at most " + Limits.HEADERS + ", a value at most " + Limits.HEADER_VALUE
        + " characters). A value is a string, or {valueFrom: {secretKeyRef: "
    + "{name, key}}}: a key of a Secret in the task's namespace, read when the run starts, never logged. The "
        + "agent checks names and values (no Content-Length or Transfer-Encoding; Idempotency-Key and User-Agent are set "
        + "by the agent) and reports a bad one in status.")
    @Size(max = Limits.HEADERS)
    public Map<String, AnyType> headers;

    @JsonPropertyDescription("The request body, at most " + Limits.DATA + " characters.") @Size(max = Limits.DATA)
    public String body;

    @JsonPropertyDescription("How long an attempt may take: 10ms to 1h (default 10s).")
    @Pattern(Rules.DURATION_PATTERN) @Size(max = Limits.WORD)
    @ValidationRule(value = Rules.TIMEOUT_RANGE, message = Rules.TIMEOUT_MESSAGE) public String timeout;

    @JsonPropertyDescription("Accept any TLS certificate (default false).") public Boolean insecureSkipTlsVerify;

    @JsonPropertyDescription("Redirects followed: 0 (default) to 10.") @Min(0) @Max(Limits.REDIRECTS) public Integer maxRedirects;
  }

  /** HTTP methods accepted. */
  public enum Method { GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS }

  /** A TCP write. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Tcp {
    @JsonPropertyDescription("host:port, such as 10.0.0.5:5000 or [fd00::5]:5000 (port 1 to 65535).")
    @Required @Size(max = Limits.ADDRESS) @Pattern("^[^\\s/]+:[0-9]{1,5}$")
    @ValidationRule(value = "int(self.substring(self.lastIndexOf(':') + 1)) >= 1"
    + " && int(self.substring(self.lastIndexOf(':') + 1)) <= 65535", message = "the port must be 1 to 65535")
    public String address;

    @JsonPropertyDescription("What is written, at most " + Limits.DATA + " characters.") @Size(max = Limits.DATA)
    public String payload;

    @JsonPropertyDescription("Read one reply line after writing (default false).") public Boolean readReply;

    @JsonPropertyDescription("How long an attempt may take: 10ms to 1h (default 5s).")
    @Pattern(Rules.DURATION_PATTERN) @Size(max = Limits.WORD)
    @ValidationRule(value = Rules.TIMEOUT_RANGE, message = Rules.TIMEOUT_MESSAGE) public String timeout;
  }

  /** A write to a named pipe (or file) under the agent's pipe directory. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Pipe {
    @JsonPropertyDescription("A plain file name in the agent's pipe directory (no '/', no '..').")
    @Required @Pattern(Limits.PIPE_NAME_PATTERN)
    @ValidationRule(value = "!self.contains('..')", message = "must not contain '..'") public String name;

    @JsonPropertyDescription("What is written, at most " + Limits.DATA + " characters.") @Size(max = Limits.DATA)
    public String data;

    @JsonPropertyDescription("How long an attempt may take: 10ms to 1h (default 5s).")
    @Pattern(Rules.DURATION_PATTERN) @Size(max = Limits.WORD)
    @ValidationRule(value = Rules.TIMEOUT_RANGE, message = Rules.TIMEOUT_MESSAGE) public String timeout;
  }

  /** A computation. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public static class Compute {
    @JsonPropertyDescription("Compute pi.") @Required public Pi pi;
  }

  /** Pi to a number of digits. */
  public static class Pi {
    @JsonPropertyDescription("Decimal digits: 1 to 1000000 (the agent's --max-pi-digits may cap it lower).")
    @JsonProperty(required = true) @Required @Min(1) @Max(Limits.PI_DIGITS) public Integer digits;
  }
}
