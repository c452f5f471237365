package dev.nodepulse.sampler;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The parts of {@code <procfs>/stat} the sampler uses: the aggregate cpu line, the per-cpu lines
 * (by cpu index, so a cpu that is offline is simply absent) and {@code btime}.
 */
record ProcStat(CpuCounters total, List<CpuCounters> perCpu, long bootTimeSeconds) {

  /** Ticks per second of the counters: USER_HZ, 100 on every Linux ABI (as node_exporter assumes). */
  static final double USER_HZ = 100.0;

  ProcStat {
    perCpu = List.copyOf(perCpu);
  }

  static ProcStat read(Path procfs) throws IOException {
    return parse(Files.readString(procfs.resolve("stat")));
  }

  static ProcStat parse(String text) {
    CpuCounters total = null;
    List<CpuCounters> perCpu = new ArrayList<>();
    long btime = 0;
    for (String line : text.split("\n")) {
      if (line.startsWith("cpu")) {
        String[] f = line.trim().split("\\s+");
        String name = f[0];
        int cpu;
        if (name.equals("cpu")) {
          cpu = CpuCounters.TOTAL;
        } else {
          try {
            cpu = Integer.parseInt(name.substring(3));
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("stat: bad cpu line name '" + name + "'");
          }
        }
        if (f.length < 5) {
          throw new IllegalArgumentException("stat: line '" + name + "' has " + (f.length - 1) + " fields, expected at least 4");
        }
        long[] v = new long[10];
        for (int i = 0; i < v.length && i + 1 < f.length; i++) {
          try {
            v[i] = Long.parseUnsignedLong(f[i + 1]);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("stat: line '" + name + "' field " + (i + 1) + " is not a number: " + f[i + 1]);
          }
        }
        CpuCounters c = new CpuCounters(cpu, v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9]);
        if (cpu == CpuCounters.TOTAL) {
          total = c;
        } else {
          perCpu.add(c);
        }
      } else if (line.startsWith("btime ")) {
        btime = Long.parseLong(line.substring(6).trim());
      }
    }
    if (total == null) {
      throw new IllegalArgumentException("stat: no aggregate 'cpu' line");
    }
    perCpu.sort(Comparator.comparingInt(CpuCounters::cpu));
    return new ProcStat(total, perCpu, btime);
  }
}
