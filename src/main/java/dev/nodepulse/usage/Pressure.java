package dev.nodepulse.usage;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Pressure stall information: one PSI file ({@code /proc/pressure/cpu}, a cgroup's {@code cpu.pressure}) as
 * its {@code some} and {@code full} lines. {@code full} is null where the kernel writes none (CPU before 5.13).
 */
public record Pressure(Stall some, Stall full) {
  /** The resources under {@code /proc/pressure}, in the order they are shown. */
  public static final String[] RESOURCES = {"cpu", "memory", "io"};

  /** One line: the share of time stalled over 10, 60 and 300 s (percent), and the total stall time in µs. */
  public record Stall(double avg10, double avg60, double avg300, long totalMicros) {
    JsonObject toJson() {
      return new JsonObject().put("avg10", avg10).put("avg60", avg60).put("avg300", avg300)
          .put("totalSeconds", totalMicros / 1e6);
    }
  }

  public JsonObject toJson() {
    JsonObject o = new JsonObject().put("some", some.toJson());
    if (full != null) {
      o.put("full", full.toJson());
    }
    return o;
  }

  /**
   * The node's pressure from {@code <procfs>/pressure/{cpu,memory,io}}, by resource; an empty map when the
   * kernel has no PSI (no {@code pressure} directory: built without it, or booted with {@code psi=0}).
   * A resource whose file is missing is left out; one that does not parse throws, naming the file.
   */
  public static Map<String, Pressure> node(Path procfs) throws IOException {
    Map<String, Pressure> all = new LinkedHashMap<>();
    Path dir = procfs.resolve("pressure");
    for (String resource : RESOURCES) {
      Path file = dir.resolve(resource);
      try {
        all.put(resource, parse(file.toString(), Files.readString(file)));
      } catch (NoSuchFileException e) {
        // absent without PSI
      } catch (IOException e) {
        // psi=0 leaves the files, but reading them fails with EOPNOTSUPP
        if (!String.valueOf(e.getMessage()).contains("not supported")) {
          throw e;
        }
      }
    }
    return all;
  }

  /** Parses one PSI file's text; {@code name} is for the error. */
  public static Pressure parse(String name, String text) throws IOException {
    Stall some = null;
    Stall full = null;
    for (String line : text.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.trim().split("\\s+");
      if (f.length != 5 || !f[0].equals("some") && !f[0].equals("full")) {
        throw new IOException(name + ": unexpected line '" + line.trim() + "'; expected 'some|full avg10=… avg60=… avg300=… total=…'");
      }
      Stall s = new Stall(value(name, f[1], "avg10"), value(name, f[2], "avg60"), value(name, f[3], "avg300"),
          (long) value(name, f[4], "total"));
      if (f[0].equals("some")) {
        some = s;
      } else {
        full = s;
      }
    }
    if (some == null) {
      throw new IOException(name + ": no 'some' line");
    }
    return new Pressure(some, full);
  }

  private static double value(String name, String field, String key) throws IOException {
    if (!field.startsWith(key + "=")) {
      throw new IOException(name + ": expected " + key + "=<number>, found '" + field + "'");
    }
    try {
      double v = Double.parseDouble(field.substring(key.length() + 1));
      if (v < 0 || !Double.isFinite(v)) {
        throw new NumberFormatException();
      }
      return v;
    } catch (NumberFormatException e) {
      throw new IOException(name + ": " + key + " is not a non-negative number: '" + field + "'");
    }
  }
}
