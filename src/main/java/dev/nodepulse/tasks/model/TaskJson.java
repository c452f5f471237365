package dev.nodepulse.tasks.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdScalarSerializer;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import dev.nodepulse.config.Durations;
import dev.nodepulse.util.Sha256;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;

/**
 * The task records as JSON with the field names of docs/tasks.md and openapi.yaml: the REST answers, the page's
 * {@code nodepulse.tasks.changed}, and what the task store keeps. The mapping is Jackson's, from the annotations on
 * the records (which fields are left out when empty or at their default); this class adds that a null field is left
 * out, the notation of durations ({@code 1h30m}) and times (RFC 3339), and map entries in key order. Reading a task is
 * {@link TaskReader}'s.
 */
public final class TaskJson {
  private static final TypeReference<LinkedHashMap<String, Object>> OBJECT = new TypeReference<>() {};

  static final ObjectMapper MAPPER = JsonMapper.builder()
      .addModule(new SimpleModule("nodepulse-tasks")
          .addSerializer(Duration.class, new DurationText())
          .addSerializer(Instant.class, ToStringSerializer.instance)
          .addDeserializer(Instant.class, new InstantText()))
      .defaultPropertyInclusion(JsonInclude.Value.construct(JsonInclude.Include.NON_NULL, JsonInclude.Include.ALWAYS))
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
      .build();

  private TaskJson() {}

  /** The DelayedTask as JSON; null fields left out. */
  public static JsonObject toJson(DelayedTask t) {
    return json(t);
  }

  /** The object without status, as a source would post it (what is persisted for REST tasks). */
  public static JsonObject toObjectJson(DelayedTask t) {
    return json(t.withStatus(null));
  }

  public static JsonObject specJson(TaskSpec s) {
    return json(s);
  }

  public static JsonObject lastRunJson(TaskStatus.LastRun r) {
    return json(r);
  }

  public static JsonObject lastMissedJson(TaskStatus.LastMissed m) {
    return json(m);
  }

  /** Reads back what {@link #lastMissedJson} wrote (persistence); null for null. */
  public static TaskStatus.LastMissed lastMissedFrom(JsonObject o) {
    return o == null ? null : MAPPER.convertValue(o.getMap(), TaskStatus.LastMissed.class);
  }

  /** Reads back what {@link #lastRunJson} wrote (persistence); null for null. */
  public static TaskStatus.LastRun lastRunFrom(JsonObject o) {
    return o == null ? null : MAPPER.convertValue(o.getMap(), TaskStatus.LastRun.class);
  }

  /** A stable hash of the spec (its canonical JSON), to tell an edited task from the same one. */
  public static String specHash(TaskSpec s) {
    JsonObject spec = specJson(s);
    spec.remove("suspend"); // pausing and resuming keep the schedule and the state (docs/tasks.md)
    spec.remove("ttlAfterFinished"); // a finished task whose ttl is changed is not run again
    return Sha256.hex(spec.encode(), 16);
  }

  private static JsonObject json(Object record) {
    return new JsonObject(MAPPER.convertValue(record, OBJECT));
  }

  /**
   * The value filter of a spec field left out at its default ({@code @JsonInclude(CUSTOM)}): so a task written
   * before the field existed keeps its spec hash, and the JSON shows what was chosen.
   */
  static final class AtDefault {
    @Override
    public boolean equals(Object value) {
      return value == TaskSpec.MissedRuns.RunLatest || value == TaskSpec.ConcurrencyPolicy.Forbid
          || Duration.ZERO.equals(value) || Integer.valueOf(Limits.HISTORY_DEFAULT).equals(value);
    }

    @Override
    public int hashCode() {
      return 0;
    }
  }

  /** A duration in the agent's notation: 500ms, 30s, 1h30m. */
  private static final class DurationText extends StdScalarSerializer<Duration> {
    DurationText() {
      super(Duration.class);
    }

    @Override
    public void serialize(Duration d, JsonGenerator gen, SerializerProvider provider) throws IOException {
      gen.writeString(Durations.format(d));
    }
  }

  /** An RFC 3339 time as {@link Instant#toString} writes it. */
  private static final class InstantText extends StdScalarDeserializer<Instant> {
    InstantText() {
      super(Instant.class);
    }

    @Override
    public Instant deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      return Instant.parse(p.getValueAsString());
    }
  }
}
