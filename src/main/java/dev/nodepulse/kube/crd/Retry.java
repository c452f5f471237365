package dev.nodepulse.kube.crd;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import dev.nodepulse.tasks.model.Limits;
import io.fabric8.generator.annotation.Max;
import io.fabric8.generator.annotation.Min;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Size;
import io.fabric8.generator.annotation.ValidationRule;

/** {@code spec.retry} on the wire. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class Retry {
  @JsonPropertyDescription("Retries of a FAILED or TIMEOUT attempt: 0 (default) to 10.") @Min(0) @Max(Limits.RETRIES) public Integer limit;

  @JsonPropertyDescription("Wait before the first retry, doubled for each next one: 10ms to 1h (default 1s).")
  @Pattern(Rules.DURATION_PATTERN) @Size(max = Limits.WORD)
  @ValidationRule(value = Rules.TIMEOUT_RANGE, message = Rules.TIMEOUT_MESSAGE) public String backoff;
}
