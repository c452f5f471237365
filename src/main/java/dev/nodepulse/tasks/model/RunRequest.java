package dev.nodepulse.tasks.model;

import java.util.UUID;
import java.util.regex.Pattern;

/**
 * One extra run of a task on demand ("run now", docs/tasks.md): {@code POST /api/v1/tasks/{ns}/{name}/runs} or the
 * annotation {@code nodepulse.dev/run-now}. {@code requestId} names the request so that the same one never runs
 * twice: 1 to 64 visible ASCII characters (letters, digits, punctuation; no spaces or controls), checked here where
 * it enters.
 */
public record RunRequest(String namespace, String name, String requestId) {
  private static final Pattern ID = Pattern.compile("[\\x21-\\x7E]{1,64}");

  public String key() {
    return namespace + "/" + name;
  }

  /** Why {@code id} is not a request id (naming {@code field} and the value), or null when it is one. */
  public static String problem(String field, String id) {
    if (id != null && ID.matcher(id).matches()) {
      return null;
    }
    String shown = id == null ? "null" : "'" + TaskValidator.clip(id.replaceAll("\\p{Cntrl}", "?")) + "'";
    return field + ": " + shown + " is not a request id; expected 1 to 64 visible ASCII characters (letters, digits, "
        + "punctuation; no spaces), such as the output of date +%s";
  }

  /** A request id for a request that gave none. */
  public static String newId() {
    return UUID.randomUUID().toString();
  }
}
