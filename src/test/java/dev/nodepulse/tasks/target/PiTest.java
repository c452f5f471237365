package dev.nodepulse.tasks.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class PiTest {
  /**
   * "3." and the first 1000 decimals of pi, made with a different method (mpmath 1.3.0: {@code mp.dps = 1100;
   * nstr(pi, 1050)}, truncated); its last decimals "...164201989" match the published 1000-digit value.
   */
  static String reference() {
    try (InputStream in = PiTest.class.getResourceAsStream("/pi/pi-1000.txt")) {
      return new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
    } catch (IOException e) {
      throw new RuntimeException(e);
    }
  }

  @Test
  void thousandDigitsMatchTheReferenceDigitForDigit() {
    String reference = reference();
    assertThat(reference).hasSize(1002).startsWith("3.14159").endsWith("164201989");

    assertThat(Pi.digits(1000, () -> false, (p, k) -> {})).isEqualTo(reference);
  }

  @Test
  void everyShorterLengthIsTheTruncatedReference() {
    String reference = reference();
    for (int n = 1; n <= 120; n++) {
      assertThat(Pi.digits(n, () -> false, (p, k) -> {})).as("%d digits", n).isEqualTo(reference.substring(0, n + 2));
    }
  }

  @Test
  void progressRisesAndShowsOnlyCorrectDigits() {
    String reference = reference();
    List<Integer> percents = new CopyOnWriteArrayList<>();
    List<String> known = new CopyOnWriteArrayList<>();
    Pi.digits(1000, () -> false, (percent, digits) -> {
      percents.add(percent);
      known.add(digits.get());
    });

    assertThat(percents).isSorted();
    assertThat(percents.getFirst()).isZero();
    assertThat(percents.getLast()).isBetween(95, 99);
    assertThat(known.getFirst()).isEqualTo("3.");
    for (String k : known) {
      String digits = k.replace("…", "");
      assertThat(reference).startsWith(digits);
      assertThat(digits.length()).isLessThanOrEqualTo(2 + Pi.SHOWN);
    }
    assertThat(known.getLast()).isEqualTo(reference.substring(0, 2 + Pi.SHOWN) + "…");
  }

  @Test
  void stopsPromptlyWhenAsked() throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicBoolean stopped = new AtomicBoolean();
    Thread t = Thread.ofPlatform().start(() -> {
      try {
        Pi.digits(1_000_000, stop::get, (p, k) -> stop.set(true));
      } catch (CancellationException e) {
        stopped.set(true);
      }
    });
    t.join(10_000);

    assertThat(t.isAlive()).isFalse();
    assertThat(stopped).isTrue();
  }

  @Test
  void rejectsNoDigits() {
    assertThatThrownBy(() -> Pi.digits(0, () -> false, (p, k) -> {})).isInstanceOf(IllegalArgumentException.class);
  }
}
