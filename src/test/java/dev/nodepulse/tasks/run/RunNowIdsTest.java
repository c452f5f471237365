package dev.nodepulse.tasks.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.tasks.model.RunRequest;
import org.junit.jupiter.api.Test;

/** The request ids of run now: each taken once, the last {@link RunNow#REMEMBERED} remembered; checked ids. */
class RunNowIdsTest {
  @Test
  void anIdIsTakenOnceAndTheMemoryIsBounded() {
    RunNow r = new RunNow();
    assertThat(r.accept("a")).isTrue();
    assertThat(r.accept("a")).isFalse();
    assertThat(r.next()).isEqualTo("a");
    assertThat(r.next()).isNull();
    assertThat(r.accept("a")).as("handled, even once it ran").isFalse();
    for (int i = 0; i < RunNow.REMEMBERED; i++) {
      assertThat(r.accept("id-" + i)).isTrue();
    }
    assertThat(r.accept("a")).as("the oldest of more than %d ids is forgotten", RunNow.REMEMBERED).isTrue();
    assertThat(r.accept("id-" + (RunNow.REMEMBERED - 1))).isFalse();
    int waiting = 0;
    while (r.next() != null) {
      waiting++;
    }
    assertThat(waiting).as("waiting requests are bounded too").isEqualTo(RunNow.REMEMBERED);
  }

  @Test
  void aRequestIdIsOneToSixtyFourVisibleAsciiCharacters() {
    assertThat(RunRequest.problem("requestId", "1733337600")).isNull();
    assertThat(RunRequest.problem("requestId", "x".repeat(64))).isNull();
    assertThat(RunRequest.problem("requestId", "x".repeat(65))).startsWith("requestId: 'xxx");
    assertThat(RunRequest.problem("requestId", "")).isEqualTo("requestId: '' is not a request id; expected 1 to 64 "
        + "visible ASCII characters (letters, digits, punctuation; no spaces), such as the output of date +%s");
    assertThat(RunRequest.problem("requestId", "a\u0000b")).startsWith("requestId: 'a?b'");
    assertThat(RunRequest.problem("requestId", "café")).isNotNull();
  }
}
