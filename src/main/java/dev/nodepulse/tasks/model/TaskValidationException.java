package dev.nodepulse.tasks.model;

import java.util.List;

/** A DelayedTask that cannot be read; the message lists every error with its field path. */
public final class TaskValidationException extends Exception {
  private final transient List<FieldError> errors;

  public TaskValidationException(List<FieldError> errors) {
    super(String.join("; ", errors.stream().map(FieldError::toString).toList()));
    this.errors = List.copyOf(errors);
  }

  public List<FieldError> errors() {
    return errors;
  }

  /** The REST error body: {@code {"error": "field: message; ...", "details": [{field, message}]}}. */
  public io.vertx.core.json.JsonObject toJson() {
    var details = new io.vertx.core.json.JsonArray();
    errors.forEach(e -> details.add(new io.vertx.core.json.JsonObject().put("field", e.field())
        .put("message", e.message())));
    return new io.vertx.core.json.JsonObject().put("error", getMessage()).put("details", details);
  }
}
