package dev.nodepulse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class DurationsTest {
  @Test
  void parsesEveryUnitAndCombinations() {
    assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(Durations.parse("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(Durations.parse("5m")).isEqualTo(Duration.ofMinutes(5));
    assertThat(Durations.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(Durations.parse("2d")).isEqualTo(Duration.ofDays(2));
    assertThat(Durations.parse("1h30m")).isEqualTo(Duration.ofMinutes(90));
    assertThat(Durations.parse(" 1m500ms ")).isEqualTo(Duration.ofMillis(60_500));
  }

  @Test
  void rejectsWhatIsNotADuration() {
    for (String bad : new String[] {"", "5", "s", "5x", "1.5s", "-1s", "1h 30m", "5 s", "m5", "99999999999s"}) {
      assertThatThrownBy(() -> Durations.parse(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("500ms, 30s, 5m, 1h");
    }
  }

  @Test
  void formatsInTheSameNotation() {
    assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
    assertThat(Durations.format(Duration.ofMillis(500))).isEqualTo("500ms");
    assertThat(Durations.format(Duration.ofHours(2))).isEqualTo("2h");
    assertThat(Durations.format(Duration.ZERO)).isEqualTo("0s");
    for (String s : new String[] {"1h30m", "500ms", "5m", "1h1m1s1ms"}) {
      assertThat(Durations.format(Durations.parse(s))).isEqualTo(s);
    }
  }
}
