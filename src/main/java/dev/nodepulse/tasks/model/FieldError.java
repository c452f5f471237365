package dev.nodepulse.tasks.model;

/** One validation error: the field path ({@code spec.target.http.url}) and what is wrong or accepted. */
public record FieldError(String field, String message) {
  @Override
  public String toString() {
    return field + ": " + message;
  }
}
