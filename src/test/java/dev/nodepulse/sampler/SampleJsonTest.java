package dev.nodepulse.sampler;

import dev.nodepulse.bus.Sample;
import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Set;
import oshi.PlatformEnum;
import org.junit.jupiter.api.Test;

/** What a platform does not count is absent from the sample, never a made-up 0. */
class SampleJsonTest {
  private static final MemInfo MEM = new MemInfo(8L << 30, 6L << 30, 1L << 30, 1L << 30);

  @Test
  void a_platform_without_load_or_iowait_leaves_them_out() {
    ProcStat t1 = Fixtures.stat("known/t1");
    ProcStat t2 = Fixtures.stat("known/t2");
    Set<String> mac = OshiSource.modes(PlatformEnum.MACOS);
    JsonObject s = SampleJson.of(1000, 12.5, null, CpuMath.between(t1, t2), new SampleSource.Reading(t2, null, MEM),
        List.of(), mac);

    assertThat(s.getJsonObject("cpu").fieldNames()).containsExactlyInAnyOrder("percent", "perCore", "avg1m");
    JsonObject total = s.getJsonObject("times").getJsonObject("total");
    assertThat(total.fieldNames()).containsExactlyInAnyOrder("cpu", "user", "nice", "system", "idle");
    assertThat(s.getJsonObject("times").getJsonArray("perCore").getJsonObject(0).fieldNames())
        .containsExactlyInAnyOrder("cpu", "user", "nice", "system", "idle");
    assertThat(s.getJsonArray("seconds").getJsonObject(0).fieldNames())
        .containsExactlyInAnyOrder("cpu", "user", "nice", "system", "idle");
    assertThat(s.getJsonObject("memory").getLong("usedBytes")).isEqualTo(2L << 30);
  }

  @Test
  void linux_keeps_every_field() {
    ProcStat t1 = Fixtures.stat("known/t1");
    ProcStat t2 = Fixtures.stat("known/t2");
    JsonObject s = SampleJson.of(1000, 12.5, 10.0, CpuMath.between(t1, t2),
        new SampleSource.Reading(t2, new LoadAvg(1, 2, 3), MEM), List.of(), OshiSource.modes(PlatformEnum.LINUX));
    assertThat(s.getJsonObject("cpu").getJsonObject("load").fieldNames()).containsExactlyInAnyOrder("1m", "5m", "15m");
    assertThat(s.getJsonObject("times").getJsonObject("total").fieldNames()).containsAll(Sample.CPU_MODES);
    assertThat(s.getJsonArray("seconds").getJsonObject(0).fieldNames()).containsAll(Sample.CPU_MODES);
  }

  @Test
  void the_modes_each_platform_counts() {
    assertThat(OshiSource.modes(PlatformEnum.LINUX)).containsExactlyElementsOf(Sample.CPU_MODES);
    assertThat(OshiSource.modes(PlatformEnum.WINDOWS)).containsExactly("user", "system", "idle", "irq", "softirq");
    assertThat(OshiSource.modes(PlatformEnum.MACOS)).containsExactly("user", "nice", "system", "idle");
    assertThat(OshiSource.modes(PlatformEnum.FREEBSD)).containsExactly("user", "nice", "system", "idle", "irq");
  }
}
