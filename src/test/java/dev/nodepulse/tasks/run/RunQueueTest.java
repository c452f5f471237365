package dev.nodepulse.tasks.run;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The slot step alone: per target type, at most N at once, the rest in FIFO order. */
class RunQueueTest {
  @Test
  void slotsPerTypeAndFifo() {
    RunQueue q = new RunQueue(2);
    List<String> started = new ArrayList<>();
    for (String s : List.of("a", "b", "c", "d")) {
      q.submit("http", () -> started.add(s));
    }
    q.submit("pipe", () -> started.add("p"));
    assertThat(started).containsExactly("a", "b", "p"); // another type has its own slots
    assertThat(q.inFlight("http")).isEqualTo(2);
    assertThat(q.waiting("http")).isEqualTo(2);
    q.release("http");
    assertThat(started).containsExactly("a", "b", "p", "c");
    q.release("http");
    q.release("http");
    assertThat(started).containsExactly("a", "b", "p", "c", "d");
    assertThat(q.inFlight("http")).isEqualTo(1);
  }
}
