package dev.nodepulse.kube.crd;

import dev.nodepulse.tasks.model.Limits;

/**
 * CEL pieces shared by the schema's {@code x-kubernetes-validations}. Durations are written as the agent writes
 * them ({@code 500ms}, {@code 30s}, {@code 1h30m}, {@code 2d}); CEL's own {@code duration()} has no days, so
 * {@link #MILLIS} sums the parts. The bounds are {@link Limits}', the validator's.
 */
final class Rules {
  /** A duration in the agent's notation. */
  static final String DURATION_PATTERN = "^([0-9]{1,9}(ms|s|m|h|d))+$";

  /** After a duration string: its parts summed in milliseconds, closing the list {@link #MILLIS} opens. */
  private static final String SUM = ".findAll('[0-9]+(ms|s|m|h|d)').map(p, p.endsWith('ms')"
      + " ? int(p.substring(0, size(p) - 2))"
      + " : int(p.substring(0, size(p) - 1)) * (p.endsWith('s') ? 1000 : p.endsWith('m') ? 60000"
      + " : p.endsWith('h') ? 3600000 : 86400000)).sum()]";

  /** The value of {@code self} (a duration string) in milliseconds, as a one-element list bound to {@code ms}. */
  private static final String MILLIS = "[self" + SUM;

  static final String UP_TO_365D = MILLIS + ".all(ms, ms <= " + Limits.SPAN_MS + ")";
  /** {@code spec.jitter} below {@code spec.every} (on the spec: both durations in milliseconds). */
  static final String JITTER_BELOW_EVERY = "!has(self.jitter) || !has(self.every) || "
      + "[self.jitter" + SUM + "[0] < [self.every" + SUM + "[0]";
  static final String ONE_SECOND_TO_365D = MILLIS + ".all(ms, ms >= " + Limits.MIN_EVERY_MS + " && ms <= " + Limits.SPAN_MS
      + ")";
  static final String UP_TO_1H = MILLIS + ".all(ms, ms <= " + Limits.JITTER_MS + ")";
  static final String UP_TO_30D = MILLIS + ".all(ms, ms <= " + Limits.TTL_AFTER_FINISHED_MS + ")";
  static final String TIMEOUT_RANGE = MILLIS + ".all(ms, ms >= " + Limits.MIN_TIMEOUT_MS + " && ms <= "
      + Limits.MAX_TIMEOUT_MS + ")";
  static final String TIMEOUT_MESSAGE = "must be 10ms to 1h";

  /** An RFC 3339 time with an offset (CEL's timestamp() alone accepts no more than that, but says less). */
  static final String RFC3339 = "self.matches('^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
      + "([.][0-9]+)?(Z|z|[+-][0-9]{2}:[0-9]{2})$') && timestamp(self) == timestamp(self)";

  private Rules() {}
}
