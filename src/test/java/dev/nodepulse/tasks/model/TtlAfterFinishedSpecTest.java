package dev.nodepulse.tasks.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * spec.ttlAfterFinished: 0s to 30d, one-shots only (refused with every or schedule, naming the field and the value),
 * written back only when set and not part of the spec's hash (changing it never runs a finished task again).
 */
class TtlAfterFinishedSpecTest {
  static String spec(String timing, String ttl) {
    return "{" + timing + ",\"ttlAfterFinished\":\"" + ttl + "\",\"target\":{\"compute\":{\"pi\":{\"digits\":5}}}}";
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "\"delay\":\"1m\"           | 30d1s | '30d1s' is out of range; expected 0s to 30d",
      "\"at\":\"2026-12-05T10:00:00Z\" | 31d | '31d' is out of range; expected 0s to 30d",
      "\"delay\":\"1m\"           | later | 'later' is not a duration",
      "\"every\":\"1m\"           | 1h    | '1h' is only accepted for a one-shot task (delay or at); a task with every or schedule never finishes",
      "\"schedule\":\"* * * * *\" | 0s    | '0s' is only accepted for a one-shot task (delay or at)"})
  void outOfRangeOrOnARecurringTaskIsRefusedNamingFieldAndValue(String timing, String ttl, String words) {
    InputErrorsTest.refused(spec(timing, ttl), "spec.ttlAfterFinished", words);
  }

  @Test
  void acceptedUpToTheBoundsWrittenBackOnlyWhenSetAndNotHashed() throws Exception {
    TaskSpec s = InputErrorsTest.read(spec("\"delay\":\"1m\"", "30d")).spec();
    assertThat(s.ttlAfterFinished()).isEqualTo(Duration.ofDays(30));
    assertThat(TaskJson.specJson(s).getString("ttlAfterFinished")).isEqualTo("720h");
    assertThat(InputErrorsTest.read(spec("\"at\":\"2026-12-05T10:00:00Z\"", "0s")).spec().ttlAfterFinished())
        .isZero();
    TaskSpec none = InputErrorsTest.read("{\"delay\":\"1m\",\"target\":{\"compute\":{\"pi\":{\"digits\":5}}}}").spec();
    assertThat(none.ttlAfterFinished()).isNull();
    assertThat(TaskJson.specJson(none).containsKey("ttlAfterFinished")).isFalse();
    assertThat(TaskJson.specHash(s)).isEqualTo(TaskJson.specHash(none));
  }
}
