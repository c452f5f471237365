package dev.nodepulse.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.LocalTime;
import org.junit.jupiter.api.Test;

class MidnightGuardTest {
  @Test
  void waitsOnlyWithinTheWindowBeforeMidnightAndUntilJustPastIt() {
    assertThat(MidnightGuard.waitAt(LocalTime.of(12, 0))).isZero();
    assertThat(MidnightGuard.waitAt(LocalTime.of(0, 0))).isZero();
    assertThat(MidnightGuard.waitAt(LocalTime.of(23, 57, 49))).isZero(); // 131 s before
    assertThat(MidnightGuard.waitAt(LocalTime.of(23, 57, 50))).isEqualTo(Duration.ofSeconds(131));
    assertThat(MidnightGuard.waitAt(LocalTime.of(23, 59, 14))).isEqualTo(Duration.ofSeconds(47));
    assertThat(MidnightGuard.waitAt(LocalTime.of(23, 59, 59, 500_000_000))).isEqualTo(Duration.ofMillis(1500));
  }
}
