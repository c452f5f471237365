package dev.nodepulse.tasks.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigInteger;
import java.util.Map;

/**
 * A DelayedTask document exactly as written (docs/tasks.md), for Jackson to bind: field names and JSON types only,
 * every value as given (durations and times still text; whole numbers of any size, so that the validator names
 * a value beyond a long with the field's range). An unknown field or a value of the wrong type fails the
 * binding; {@link TaskValidator} then checks the values and builds the records. {@code status} is accepted and
 * ignored. A header reference is written back in this shape too ({@link Target.SecretKeyRef}, {@link Target.EnvRef}).
 */
record TaskDocument(String apiVersion, String kind, Metadata metadata, Spec spec, JsonNode status) {

  record Metadata(String name, String namespace, BigInteger generation, String uid, String resourceVersion,
      Map<String, String> labels, Map<String, String> annotations, String creationTimestamp) {}

  record Spec(String title, String delay, String at, String every, String schedule, String timeZone,
      Targets target, String nodes, Map<String, String> nodeSelector, Retry retry, String startingDeadline,
      String jitter, String missedRuns, Boolean suspend, String concurrencyPolicy, BigInteger history,
      String ttlAfterFinished) {}

  record Retry(BigInteger limit, String backoff) {}

  /** {@code spec.target}: exactly one of the four is expected. */
  record Targets(Http http, Tcp tcp, Pipe pipe, Compute compute) {}

  record Http(String url, String method, Map<String, Header> headers, String body, String timeout,
      Boolean insecureSkipTlsVerify, BigInteger maxRedirects) {}

  record Tcp(String address, String payload, Boolean readReply, String timeout) {}

  record Pipe(String name, String data, String timeout) {}

  record Compute(Pi pi) {}

  record Pi(BigInteger digits) {}

  /** A header value: a string, or {@code {valueFrom: {secretKeyRef: {name, key}}}} or {@code {valueFrom: {env}}}. */
  record Header(String value, ValueFrom valueFrom) {
    @JsonCreator(mode = JsonCreator.Mode.DELEGATING)
    static Header plain(String value) {
      return new Header(value, null);
    }

    @JsonCreator(mode = JsonCreator.Mode.PROPERTIES)
    static Header from(@JsonProperty("valueFrom") ValueFrom valueFrom) {
      return new Header(null, valueFrom);
    }
  }

  record ValueFrom(SecretKeyRef secretKeyRef, String env) {}

  record SecretKeyRef(String name, String key) {}
}
