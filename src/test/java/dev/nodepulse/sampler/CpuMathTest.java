package dev.nodepulse.sampler;

import static dev.nodepulse.sampler.Fixtures.stat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class CpuMathTest {

  @Test
  void stat_is_parsed_by_cpu_index_with_boot_time() {
    ProcStat s = stat("known/t1");
    assertThat(s.perCpu()).extracting(CpuCounters::cpu).containsExactly(0, 1);
    assertThat(s.total().user()).isEqualTo(21662);
    assertThat(s.perCpu().get(1).steal()).isEqualTo(18);
    assertThat(s.bootTimeSeconds()).isPositive();
  }

  @Test
  void known_deltas_give_known_percentages_for_the_node_and_each_core() {
    CpuMath.Interval i = CpuMath.between(stat("known/t1"), stat("known/t2"));

    // node: user 100, nice 5, system 15, idle 60, iowait 10, irq 2, softirq 3, steal 5 of 200 ticks
    CpuTimes total = i.total();
    assertThat(total.busy()).isCloseTo(65.0, within(1e-9));
    assertThat(List.of(total.user(), total.nice(), total.system(), total.idle(), total.iowait(), total.irq(),
        total.softirq(), total.steal())).containsExactly(50.0, 2.5, 7.5, 30.0, 5.0, 1.0, 1.5, 2.5);

    CpuTimes cpu0 = i.perCpu().get(0);
    assertThat(cpu0.cpu()).isEqualTo("0");
    assertThat(cpu0.busy()).isCloseTo(40.0, within(1e-9));
    assertThat(List.of(cpu0.user(), cpu0.system(), cpu0.idle(), cpu0.iowait())).containsExactly(30.0, 10.0, 50.0, 10.0);

    // cpu1's 20 guest ticks are already inside its 70 user ticks: not counted twice
    CpuTimes cpu1 = i.perCpu().get(1);
    assertThat(cpu1.user()).isEqualTo(70.0);
    assertThat(cpu1.busy()).isCloseTo(90.0, within(1e-9));
    assertThat(cpu1.steal()).isEqualTo(5.0);
  }

  @Test
  void a_cpu_going_offline_is_left_out_and_the_others_keep_their_index() {
    CpuMath.Interval i = CpuMath.between(stat("hotplug/t1"), stat("hotplug/t2"));
    assertThat(i.perCpu()).extracting(CpuTimes::cpu).containsExactly("0", "1", "3");
    assertThat(i.perCpu()).allSatisfy(c -> assertThat(c.busy()).isCloseTo(20.0, within(1e-9)));
    assertThat(i.total().busy()).isCloseTo(20.0, within(1e-9));
  }

  @Test
  void a_cpu_coming_online_reports_zero_until_it_has_two_readings() {
    CpuMath.Interval i = CpuMath.between(stat("hotplug/t2"), stat("hotplug/t3"));
    assertThat(i.perCpu()).extracting(CpuTimes::cpu).containsExactly("0", "1", "2", "3");
    assertThat(i.perCpu().get(2)).isEqualTo(CpuTimes.zero("2"));
    assertThat(i.perCpu().get(3).busy()).isCloseTo(20.0, within(1e-9));
  }

  @Test
  void counters_that_reset_wrap_or_go_back_never_give_negative_or_over_100() {
    CpuMath.Interval i = CpuMath.between(stat("backwards/t1"), stat("backwards/t2"));
    // cpu0 was reset (every counter lower): that interval counts as nothing
    assertThat(i.perCpu().get(0)).isEqualTo(CpuTimes.zero("0"));
    // cpu1's iowait went back by 5: counted 0, the rest are shares of 100 ticks
    CpuTimes cpu1 = i.perCpu().get(1);
    assertThat(cpu1.iowait()).isZero();
    assertThat(List.of(cpu1.user(), cpu1.system(), cpu1.idle())).containsExactly(20.0, 10.0, 70.0);
    assertThat(cpu1.busy()).isCloseTo(30.0, within(1e-9));
    // the aggregate's user counter wrapped past 2^64: no wild figure
    for (CpuTimes c : List.of(i.total(), cpu1)) {
      for (double v : List.of(c.busy(), c.user(), c.nice(), c.system(), c.idle(), c.iowait(), c.irq(), c.softirq(), c.steal())) {
        assertThat(v).isBetween(0.0, 100.0);
      }
    }
  }

  @Test
  void no_time_passing_gives_zero_not_nan() {
    CpuMath.Interval i = CpuMath.between(stat("known/t1"), stat("known/t1"));
    assertThat(i.total()).isEqualTo(CpuTimes.zero("total"));
    assertThat(i.total().busy()).isZero();
    assertThat(i.perCpu()).allSatisfy(c -> assertThat(c.busy()).isZero());
  }

  @Test
  void a_broken_stat_file_is_an_error_naming_the_line() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ProcStat.parse("cpu  1 2 x 4\n"))
        .hasMessageContaining("'cpu' field 3");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ProcStat.parse("intr 1 2\n"))
        .hasMessageContaining("no aggregate 'cpu' line");
  }
}
