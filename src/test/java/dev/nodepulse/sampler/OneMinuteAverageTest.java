package dev.nodepulse.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class OneMinuteAverageTest {

  @Test
  void no_samples_gives_null() {
    assertThat(new OneMinuteAverage().at(1_000)).isNull();
  }

  @Test
  void the_mean_covers_only_the_last_60_seconds() {
    OneMinuteAverage avg = new OneMinuteAverage();
    for (int s = 1; s <= 120; s++) {
      avg.add(s * 1000L, s <= 60 ? 0.0 : 100.0);
    }
    // at 120 s the window (60 s, 120 s] holds the 60 samples of 100 %
    assertThat(avg.at(120_000)).isEqualTo(100.0);
  }

  @Test
  void a_gap_is_excluded_not_counted_as_zero() {
    OneMinuteAverage avg = new OneMinuteAverage();
    for (int s = 1; s <= 10; s++) {
      avg.add(s * 1000L, 10.0 * s); // 10..100 %
    }
    // agent stalled from 10 s to 65 s; at 65 s only samples after 5 s remain: 60..100 → 80
    avg.add(65_000, 80.0);
    assertThat(avg.at(65_000)).isCloseTo((60 + 70 + 80 + 90 + 100 + 80) / 6.0, within(1e-9));
    // after a whole minute of nothing, there is no average at all
    assertThat(avg.at(200_000)).isNull();
  }

  @Test
  void a_500ms_interval_still_averages_one_minute_not_60_samples() {
    OneMinuteAverage avg = new OneMinuteAverage();
    // two minutes at 500 ms: 50 % in the first minute, 10 % in the second
    for (int i = 1; i <= 240; i++) {
      avg.add(i * 500L, i <= 120 ? 50.0 : 10.0);
    }
    // a count-based average over 60 samples would also give 10; check halfway through the switch
    assertThat(avg.at(120_000)).isEqualTo(10.0);
    OneMinuteAverage half = new OneMinuteAverage();
    for (int i = 1; i <= 180; i++) {
      half.add(i * 500L, i <= 120 ? 50.0 : 10.0);
    }
    // at 90 s the window (30 s, 90 s] holds 60 samples of 50 % and 60 of 10 %: mean 30
    // (the last 60 samples alone would be all 10 %)
    assertThat(half.at(90_000)).isCloseTo(30.0, within(1e-9));
  }

  @Test
  void uneven_spacing_averages_the_samples_of_the_last_minute_whatever_their_count() {
    OneMinuteAverage avg = new OneMinuteAverage();
    for (int s = 1; s <= 60; s++) {
      avg.add(s * 1000L, 0.0);           // a minute at 1 s: 0 %
    }
    for (int s = 61; s <= 90; s++) {
      avg.add(s * 1000L, 20.0);          // half a minute at 1 s: 20 %
    }
    for (int s = 95; s <= 120; s += 5) {
      avg.add(s * 1000L, 80.0);          // sampling slowed to 5 s (not a gap): 80 %
    }
    // (60 s, 120 s] holds 30 samples of 20 % and 6 of 80 %: (600 + 480) / 36 = 30;
    // the last 60 samples would give 18, a time-weighted integral 50
    assertThat(avg.at(120_000)).isCloseTo(30.0, within(1e-9));
    for (int i = 1; i <= 60; i++) {
      avg.add(120_000 + i * 500L, 50.0); // then 500 ms steps: 50 %
    }
    // (90 s, 150 s] holds the 6 samples of 80 % and 60 of 50 %: 3480 / 66; the last 36 samples alone would give 50
    assertThat(avg.at(150_000)).isCloseTo((6 * 80.0 + 60 * 50.0) / 66, within(1e-9));
  }
}
