package dev.nodepulse.sampler;

import static dev.nodepulse.sampler.Fixtures.proc;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ProcessesTest {
  private static final long BOOT = 1_795_431_142L;

  @Test
  void a_scan_reads_stat_status_and_user_names() {
    Processes.Scan scan = Processes.scan(proc("procs"), proc("rootfs"), BOOT, 0);
    assertThat(scan.procs()).containsOnlyKeys(1, 4242, 4243);
    assertThat(scan.uptimeTicks()).isEqualTo(100_000);
    Processes.Proc odd = scan.procs().get(4242);
    assertThat(odd).isEqualTo(new Processes.Proc(4242, 1, "my (odd) name", "alice", 500, 50_000, 20_480L * 1024));
    assertThat(scan.procs().get(1).user()).isEqualTo("root");
    // a kernel thread: no VmRSS; a uid without a passwd entry shows as the number
    assertThat(scan.procs().get(4243).rssBytes()).isZero();
    assertThat(scan.procs().get(4243).user()).isEqualTo("4321");
  }

  @Test
  void cpu_percent_is_of_one_cpu_over_the_interval_between_scans() {
    Processes.Scan first = Processes.scan(proc("procs"), proc("rootfs"), BOOT, 0);
    Map<Integer, Processes.Proc> later = new HashMap<>(first.procs());
    Processes.Proc odd = later.get(4242);
    // 4242 used 150 ticks (1.5 s of cpu) in 1 s: 150 % of one cpu, as top shows a two-thread process
    later.put(4242, new Processes.Proc(4242, 1, odd.name(), odd.user(), odd.ticks() + 150, odd.startTicks(), odd.rssBytes()));
    // a process started after the first scan counts all its ticks
    later.put(5000, new Processes.Proc(5000, 1, "new", "root", 30, 100_050, 1));
    // pid 4243 was reused by a new process that started before the first scan: no delta known, 0
    later.put(4243, new Processes.Proc(4243, 2, "reused", "root", 90, 99_000, 0));
    Processes.Scan second = new Processes.Scan(1_000_000_000L, 100_100, BOOT, later);

    List<Processes.Top> top = Processes.top(first, second, 10);
    assertThat(top).extracting(Processes.Top::pid).containsExactly(4242, 5000, 1, 4243);
    assertThat(top).extracting(Processes.Top::cpuPercent).containsExactly(150.0, 30.0, 0.0, 0.0);
    assertThat(top.get(0).startedAt()).isEqualTo(java.time.Instant.ofEpochSecond(BOOT + 500).toString());
    assertThat(Processes.top(first, second, 2)).hasSize(2);
    assertThat(Processes.toJson(top.subList(0, 1)).getJsonArray("processes").getJsonObject(0).fieldNames())
        .containsExactlyInAnyOrder("pid", "ppid", "name", "user", "cpuPercent", "rssBytes", "startedAt");
  }
}
