package dev.nodepulse.kube;

import dev.nodepulse.kube.wire.EventBacklog;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Events kept while the API server is away: one per object and reason, counted, bounded, taken a batch at a time. */
class EventBacklogTest {
  static final Instant T0 = Instant.parse("2026-12-04T10:00:00Z");

  static ObjectReference task(String name) {
    return new ObjectReferenceBuilder().withKind("DelayedTask").withNamespace("default").withName(name)
        .withUid("uid-" + name).build();
  }

  @Test
  void runsOfOneTaskAndReasonBecomeOneEventWithTheirCountAndSpan() {
    EventBacklog b = new EventBacklog();
    for (int i = 0; i < 6; i++) {
      b.add(task("probe"), "Normal", "RunSucceeded", T0.plusSeconds(2L * i), "run due at " + T0.plusSeconds(2L * i));
    }
    b.add(task("probe"), "Warning", "RunFailed", T0.plusSeconds(13), "run due at " + T0.plusSeconds(13));
    List<EventBacklog.Pending> kept = b.take(10);
    assertThat(kept).hasSize(2);
    EventBacklog.Pending ok = kept.get(0);
    assertThat(ok.count()).isEqualTo(6);
    assertThat(ok.first()).isEqualTo(T0);
    assertThat(ok.last()).isEqualTo(T0.plusSeconds(10));
    assertThat(ok.message()).startsWith("6 while the API server could not be reached, from " + T0)
        .contains("the first: run due at " + T0).contains("the last: run due at " + T0.plusSeconds(10));
    assertThat(kept.get(1).count()).isEqualTo(1);
    assertThat(kept.get(1).message()).isEqualTo("run due at " + T0.plusSeconds(13));
    assertThat(b.isEmpty()).isTrue();
  }

  @Test
  void boundedTakenInBatchesAndPutBackWhenTheApiServerGoesAwayAgain() {
    EventBacklog b = new EventBacklog();
    for (int i = 0; i < EventBacklog.MAX_KEYS + 5; i++) {
      b.add(task("t" + i), "Normal", "RunSucceeded", T0, "m");
    }
    assertThat(b.dropped()).isEqualTo(5);
    List<EventBacklog.Pending> first = b.take(50);
    assertThat(first).hasSize(50);
    assertThat(first.get(0).about().getName()).isEqualTo("t0");
    // written in part, then the API server went away: the rest goes back, merged with what came meanwhile
    b.add(task("t10"), "Normal", "RunSucceeded", T0.plusSeconds(5), "later");
    b.putBack(first.subList(10, 50));
    List<EventBacklog.Pending> all = b.take(Integer.MAX_VALUE);
    assertThat(all).hasSize(EventBacklog.MAX_KEYS - 10);
    EventBacklog.Pending t10 = all.stream().filter(p -> p.about().getName().equals("t10")).findFirst().orElseThrow();
    assertThat(t10.count()).isEqualTo(2);
    assertThat(t10.first()).isEqualTo(T0);
    assertThat(t10.last()).isEqualTo(T0.plusSeconds(5));
  }
}
