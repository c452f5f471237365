package dev.nodepulse.tasks.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** spec.jitter: bounded, named with its value when refused, written back only when set. */
class JitterSpecTest {
  static String spec(String timing, String jitter) {
    return "{" + timing + ",\"jitter\":\"" + jitter + "\",\"target\":{\"compute\":{\"pi\":{\"digits\":5}}}}";
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
      "\"every\":\"1m\"          | 2h    | '2h' is out of range; expected 0s to 1h",
      "\"delay\":\"1m\"          | 1h1s  | '1h1s' is out of range; expected 0s to 1h",
      "\"every\":\"30s\"         | 30s   | '30s' is not less than every (30s)",
      "\"every\":\"30s\"         | 1m    | '1m' is not less than every (30s)",
      "\"schedule\":\"* * * * *\" | soon  | 'soon' is not a duration",
      "\"delay\":\"1s\"          | -5s   | '-5s' is not a duration"})
  void outOfRangeOrNotADurationIsRefusedNamingFieldAndValue(String timing, String jitter, String words) {
    InputErrorsTest.refused(spec(timing, jitter), "spec.jitter", words);
  }

  @Test
  void acceptedUpToTheBoundsAndWrittenBackOnlyWhenSet() throws Exception {
    TaskSpec s = InputErrorsTest.read(spec("\"every\":\"1m\"", "59s")).spec();
    assertThat(s.jitter()).isEqualTo(Duration.ofSeconds(59));
    assertThat(TaskJson.specJson(s).getString("jitter")).isEqualTo("59s");
    assertThat(InputErrorsTest.read(spec("\"schedule\":\"* * * * *\"", "1h")).spec().jitter())
        .isEqualTo(Duration.ofHours(1));
    TaskSpec none = InputErrorsTest.read("{\"every\":\"1m\",\"target\":{\"compute\":{\"pi\":{\"digits\":5}}}}").spec();
    assertThat(none.jitter()).isZero();
    // a spec without jitter hashes as before: stored tasks keep their schedule across the upgrade
    assertThat(TaskJson.specJson(none).containsKey("jitter")).isFalse();
  }
}
