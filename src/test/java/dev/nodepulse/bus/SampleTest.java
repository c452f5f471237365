package dev.nodepulse.bus;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The sample's one mapping to and from its published JSON (docs/architecture.md's shape). */
class SampleTest {
  static JsonObject resource() throws IOException {
    try (InputStream in = SampleTest.class.getResourceAsStream("/sample.json")) {
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void theDocumentedSampleIsReadIntoFields() throws IOException {
    Sample s = Sample.fromJson(resource());
    assertThat(s.t()).isEqualTo(1763895600000L);
    assertThat(s.cpu().percent()).isEqualTo(12.5);
    assertThat(s.cpu().perCore()).containsExactly(10.0, 15.0);
    assertThat(s.cpu().avg1m()).isEqualTo(11.2);
    assertThat(s.cpu().load()).isEqualTo(new Sample.Load(0.5, 0.4, 0.3));
    assertThat(s.total().byMode()).containsEntry("user", 8.0).containsEntry("idle", 87.5).hasSize(8);
    assertThat(s.perCoreTimes()).extracting(Sample.Modes::cpu).containsExactly("0", "1"); // by place when unnamed
    assertThat(s.seconds().get(1).cpu()).isEqualTo("1");
    assertThat(s.seconds().get(1).byMode()).containsEntry("user", 1000.25);
    assertThat(s.memory().totalBytes()).isEqualTo(8_000_000_000L);
    assertThat(s.partitions()).singleElement().extracting(Sample.Partition::mountPoint).isEqualTo("/");
  }

  @Test
  void writtenAndReadBackItIsTheSameSample() {
    Sample s = new Sample(1_700_000_000_123L, new Sample.Cpu(42.5, List.of(40.0, 45.0), 30.25, null),
        new Sample.Modes("total", Map.of("user", 40.0, "idle", 57.5)),
        List.of(new Sample.Modes("0", Map.of("user", 38.0, "idle", 60.0)),
            new Sample.Modes("2", Map.of("user", 42.0, "idle", 55.0))),
        List.of(new Sample.Modes("0", Map.of("user", 12.5, "idle", 100.0))),
        new Sample.Memory(8L << 30, 6L << 30, 2L << 30, 0, 0),
        List.of(new Sample.Partition("/", "/dev/vda1", "ext4", 100, 40, 60, 55, 42.11)));
    JsonObject json = s.toJson();
    assertThat(json.getString("sampledAt")).isEqualTo("2023-11-14T22:13:20.123Z");
    assertThat(json.getJsonObject("cpu").containsKey("load")).as("no load average: absent, not 0").isFalse();
    assertThat(json.getJsonObject("times").getJsonObject("total").fieldNames())
        .as("a mode the platform does not count is absent").containsExactlyInAnyOrder("cpu", "user", "idle");
    assertThat(Sample.fromJson(json)).isEqualTo(s);
    assertThat(Sample.fromJson(new JsonObject(json.encode()))).as("through text as the bridge sends it").isEqualTo(s);
  }
}
