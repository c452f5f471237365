package dev.nodepulse.tasks.model;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.cfg.MapperBuilder;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The one reader of DelayedTask objects, where a task enters (files, REST, and the cluster sources): YAML or JSON
 * text (bytes: strictly UTF-8) into the records, in three steps.
 * <ol>
 *   <li>The text is parsed; an error is reported by position only (no parser internals, no file content).</li>
 *   <li>Jackson binds it to {@link TaskDocument}, strictly: an unknown field or a value of the wrong type (a number
 *       where a string is expected) is refused, naming the field path ({@code spec.target.http.methd}).</li>
 *   <li>{@link TaskValidator} checks every value and builds the records, naming each wrong one by its path.</li>
 * </ol>
 */
public final class TaskReader {
  /** Strict binding: a string is a string (no number or boolean read as text), a number a whole number. */
  private static <M extends ObjectMapper, B extends MapperBuilder<M, B>> M strict(B builder) {
    return builder.enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS).disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
        .withCoercionConfig(LogicalType.Textual, c -> c.setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
            .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
        .build();
  }

  private static final ObjectMapper JSON = strict(JsonMapper.builder());
  private static final ObjectMapper YAML = strict(YAMLMapper.builder());

  /** The text's format. */
  public enum Format { JSON, YAML }

  private TaskReader() {}

  /**
   * Reads one DelayedTask from bytes that must be UTF-8 text (a file, a request body); its status, if given, is
   * ignored (the result's status is Pending).
   */
  public static DelayedTask read(byte[] bytes, Format format) throws TaskValidationException {
    return read(utf8(bytes), format);
  }

  /** Reads one DelayedTask from text; its status, if given, is ignored (the result's status is Pending). */
  public static DelayedTask read(String text, Format format) throws TaskValidationException {
    JsonNode root = parse(text, format);
    if (root == null || !root.isObject()) {
      throw invalid("(document)", "must be a DelayedTask object with apiVersion, kind, metadata and spec");
    }
    TaskDocument doc;
    try {
      doc = JSON.treeToValue(root, TaskDocument.class);
    } catch (JsonMappingException e) {
      throw invalid(path(e), problem(e, root));
    } catch (IOException | RuntimeException e) { // not expected: say so without Jackson's words
      throw invalid("(document)", "not a DelayedTask object");
    }
    return TaskValidator.validate(doc);
  }

  private static TaskValidationException invalid(String field, String message) {
    return new TaskValidationException(List.of(new FieldError(field, message)));
  }

  // ---------------------------------------------------------------- parsing: errors by position only

  private static JsonNode parse(String text, Format format) throws TaskValidationException {
    try {
      if (format == Format.JSON) {
        return JSON.readTree(text);
      }
      List<JsonNode> docs = YAML.readerFor(JsonNode.class).<JsonNode>readValues(text).readAll().stream()
          .filter(n -> n != null && !n.isNull() && !n.isMissingNode()).toList();
      if (docs.size() > 1) {
        throw invalid("(document)", "one DelayedTask per document: found " + docs.size() + " YAML documents");
      }
      return docs.isEmpty() ? null : docs.get(0);
    } catch (StreamReadException e) {
      throw invalid("(document)", notValid(e, format));
    } catch (IOException | RuntimeException e) { // a parser limit (nesting depth, token size): quote nothing
      throw invalid("(document)", "not valid " + format + ": too deeply nested or too large");
    }
  }

  /**
   * The parser's complaint reduced to what is safe to show: the position, and for a duplicate key the key. Its
   * own message is never shown: it names parser internals and may quote the document (a file the agent may not
   * serve).
   */
  private static String notValid(StreamReadException e, Format format) {
    var loc = e.getLocation();
    String where = loc == null || loc.getLineNr() < 0 ? "" : " at line " + loc.getLineNr() + ", column "
        + loc.getColumnNr();
    String m = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
    Matcher dup = Pattern.compile("^Duplicate field '([^'\\n]{0,80})'").matcher(m);
    if (dup.find()) {
      return "Duplicate field '" + dup.group(1) + "'" + where;
    }
    if (m.contains("end-of-input") || m.contains("end of input")) {
      return "not valid " + format + where + ": the document ends too early";
    }
    return "not valid " + format + where;
  }

  /** Strict UTF-8: a byte sequence that is not UTF-8 is an error naming its position, never replaced. */
  private static String utf8(byte[] bytes) throws TaskValidationException {
    var decoder = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    var in = ByteBuffer.wrap(bytes);
    var out = CharBuffer.allocate(bytes.length);
    if (decoder.decode(in, out, true).isError()) {
      int at = in.position();
      String before = new String(bytes, 0, at, StandardCharsets.UTF_8);
      int lineStart = before.lastIndexOf('\n') + 1;
      throw invalid("(document)", "not UTF-8 text: invalid byte at offset " + at + " (line "
          + (before.chars().filter(c -> c == '\n').count() + 1) + ", column "
          + (before.codePointCount(lineStart, before.length()) + 1) + ")");
    }
    decoder.flush(out);
    return out.flip().toString();
  }

  // ---------------------------------------------------------------- binding: unknown fields and wrong types

  /** The field path of a binding error, such as {@code spec.target.http.methd}; an empty key is shown as ''. */
  private static String path(JsonMappingException e) {
    return e.getPath().stream().map(r -> r.getFieldName() == null ? "[" + r.getIndex() + "]"
        : r.getFieldName().isEmpty() ? "''" : TaskValidator.clip(r.getFieldName())).collect(Collectors.joining("."));
  }

  private static String problem(JsonMappingException e, JsonNode root) {
    if (e instanceof UnrecognizedPropertyException u) { // the known fields in the order docs/tasks.md gives them
      Class<?> c = u.getReferringClass();
      return "unknown field; known: " + Arrays.stream(c.getRecordComponents()).map(rc -> rc.getName())
          .filter(u.getKnownPropertyIds()::contains).collect(Collectors.joining(", "));
    }
    JsonNode given = root;
    for (JsonMappingException.Reference r : e.getPath()) {
      given = r.getFieldName() != null ? given.path(r.getFieldName()) : given.path(r.getIndex());
    }
    if (e.getCause() instanceof InputCoercionException) {
      return TaskValidator.clip(given.asText()) + " is out of range";
    }
    Class<?> type = e instanceof MismatchedInputException m ? m.getTargetType() : null;
    String expected = type == String.class ? "a string"
        : type == Boolean.class ? "true or false"
        : type == Long.class || type == java.math.BigInteger.class ? "a whole number"
        : type == TaskDocument.Header.class ? "a string or {valueFrom: {secretKeyRef: {name, key}}} or {valueFrom: "
            + "{env: NAME}}"
        : "an object (a map of fields)";
    return "must be " + expected + ", not " + kindOf(given);
  }

  /** What was given: its kind, and for a scalar its value. */
  private static String kindOf(JsonNode v) {
    String shown = " (" + TaskValidator.clip(v.asText()) + ")";
    return v.isTextual() ? "a string ('" + TaskValidator.clip(v.asText()) + "')" : v.isNumber() ? "a number" + shown
        : v.isBoolean() ? "a boolean" + shown : v.isArray() ? "a list" : v.isObject() ? "an object" : "null";
  }
}
