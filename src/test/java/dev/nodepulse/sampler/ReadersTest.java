package dev.nodepulse.sampler;

import static dev.nodepulse.sampler.Fixtures.proc;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReadersTest {

  @Test
  void loadavg_gives_the_three_averages() throws Exception {
    LoadAvg l = LoadAvg.read(proc("known/t1"));
    assertThat(l).isEqualTo(new LoadAvg(0.31, 0.23, 0.09));
    assertThatThrownBy(() -> LoadAvg.parse("0.1 zero 3")).hasMessageContaining("loadavg");
  }

  @Test
  void meminfo_in_bytes_with_used_from_available_and_swap() throws Exception {
    MemInfo m = MemInfo.read(proc("swap"));
    assertThat(m.totalBytes()).isEqualTo(16_000_000L * 1024);
    assertThat(m.availableBytes()).isEqualTo(12_000_000L * 1024);
    assertThat(m.usedBytes()).isEqualTo(4_000_000L * 1024);
    assertThat(m.swapTotalBytes()).isEqualTo(2_000_000L * 1024);
    assertThat(m.swapUsedBytes()).isEqualTo(1_500_000L * 1024);

    MemInfo real = MemInfo.read(proc("known/t1"));
    assertThat(real.totalBytes()).isEqualTo(24684096L * 1024);
    assertThat(real.availableBytes()).isEqualTo(24198800L * 1024);
    assertThat(real.swapUsedBytes()).isZero();
  }

  @Test
  void meminfo_without_MemAvailable_uses_free_plus_buffers_plus_cache() throws Exception {
    MemInfo m = MemInfo.read(proc("oldkernel"));
    assertThat(m.availableBytes()).isEqualTo(400_000L * 1024);
    assertThat(m.usedBytes()).isEqualTo(600_000L * 1024);
    assertThatThrownBy(() -> MemInfo.parse("MemFree: 1 kB\n")).hasMessageContaining("MemTotal");
  }

  @Test
  void mounts_keep_real_filesystems_only_and_prefer_the_host_init_namespace() throws Exception {
    List<Partitions.Mount> mounts = Partitions.readMounts(proc("mounts"));
    assertThat(mounts).containsExactly(
        new Partitions.Mount("/dev/nvme0n1p1", "/", "ext4"),
        new Partitions.Mount("/dev/nvme1n1", "/data", "xfs"),
        new Partitions.Mount("/dev/nvme0n1p15", "/boot/efi", "vfat"),
        new Partitions.Mount("/dev/sdb1", "/mnt/my disk", "ext4"),
        new Partitions.Mount("10.0.0.9:/export", "/mnt/nfs", "nfs4"));
  }

  @Test
  void mounts_fall_back_to_procfs_mounts_without_pid_1() throws Exception {
    assertThat(Partitions.readMounts(proc("nopid1"))).containsExactly(new Partitions.Mount("/dev/vda", "/", "ext4"));
  }

  @Test
  void partition_sizes_come_from_statvfs_under_rootfs() {
    List<Partitions.Partition> parts = Partitions.sizes(
        List.of(new Partitions.Mount("/dev/x", "/", "ext4"), new Partitions.Mount("/dev/y", "/no/such/mount", "ext4")),
        Path.of("/"));
    assertThat(parts).hasSize(1);
    Partitions.Partition root = parts.get(0);
    assertThat(root.totalBytes()).isPositive();
    assertThat(root.availBytes()).isLessThanOrEqualTo(root.freeBytes());
    assertThat(root.usedBytes() + root.freeBytes()).isEqualTo(root.totalBytes());
    assertThat(root.usedPercent()).isBetween(0.0, 100.0);
  }

  @Test
  void octal_escapes_in_mount_points_are_decoded() {
    assertThat(Partitions.unescape("/a\\040b\\011c\\134")).isEqualTo("/a b\tc\\");
    assertThat(Partitions.unescape("/plain\\04")).isEqualTo("/plain\\04");
  }
}
