package dev.nodepulse.web;

import dev.nodepulse.tasks.model.TaskReader;
import dev.nodepulse.tasks.model.TaskValidationException;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The answer to the API server's {@code admission.k8s.io/v1} AdmissionReview of a DelayedTask: the object is read by
 * the agent's one reader ({@link TaskReader}, which validates it with {@code TaskValidator}), exactly as the cluster
 * source reads it (kube/wire/Wire: the object's name, namespace, generation, uid and resourceVersion, and its spec), so
 * {@code kubectl apply} refuses what the agent would refuse, in the agent's words: {@code allowed: false} with
 * status 422 and the message the agent writes into the task's status ({@code DelayedTask ns/name: field: why}).
 * An update that leaves the spec as it was is allowed (a label, an annotation, a finalizer: nothing the agent reads
 * changed). A body that is not an AdmissionReview is a 400 naming the field and the value.
 */
final class Admission {
  static final String API_VERSION = "admission.k8s.io/v1";
  static final String KIND = "AdmissionReview";

  /** The HTTP status and JSON body of an answer. */
  record Answer(int status, JsonObject body) {}

  private Admission() {}

  /** The answer to a request body. */
  static Answer review(Buffer body) {
    JsonObject review;
    try {
      Object parsed = decode(body);
      if (!(parsed instanceof JsonObject o)) {
        return bad("(body)", "must be an AdmissionReview object (JSON), not " + kindOf(parsed));
      }
      review = o;
    } catch (DecodeException e) {
      return bad("(body)", "not valid JSON (UTF-8)");
    }
    if (!API_VERSION.equals(review.getValue("apiVersion"))) {
      return bad("apiVersion", shown(review.getValue("apiVersion")) + " is not " + API_VERSION);
    }
    if (!KIND.equals(review.getValue("kind"))) {
      return bad("kind", shown(review.getValue("kind")) + " is not " + KIND);
    }
    if (!(review.getValue("request") instanceof JsonObject request)) {
      return bad("request", "must be an object, not " + kindOf(review.getValue("request")));
    }
    if (!(request.getValue("uid") instanceof String uid) || uid.isBlank() || uid.length() > 128) {
      return bad("request.uid", shown(request.getValue("uid")) + " is not a request uid (a string of 1 to 128 "
          + "characters)");
    }
    Object operation = request.getValue("operation");
    if (!"CREATE".equals(operation) && !"UPDATE".equals(operation)) {
      return allowed(uid); // DELETE and CONNECT: nothing of the agent's to check
    }
    if (!(request.getValue("object") instanceof JsonObject object)) {
      return bad("request.object", "must be an object, not " + kindOf(request.getValue("object")));
    }
    if ("UPDATE".equals(operation) && request.getValue("oldObject") instanceof JsonObject old
        && Objects.equals(old.getValue("spec"), object.getValue("spec"))) {
      return allowed(uid);
    }
    JsonObject metadata = object.getValue("metadata") instanceof JsonObject m ? m : new JsonObject();
    try {
      TaskReader.read(document(object, metadata).toBuffer().getBytes(), TaskReader.Format.JSON);
      return allowed(uid);
    } catch (TaskValidationException e) {
      return refused(uid, metadata, e);
    }
  }

  /** What the agent reads of the object, as kube/wire/Wire hands it to the reader. */
  private static JsonObject document(JsonObject object, JsonObject metadata) {
    JsonObject md = new JsonObject();
    for (String field : new String[] {"name", "namespace", "generation", "uid", "resourceVersion"}) {
      if (metadata.getValue(field) != null) {
        md.put(field, metadata.getValue(field));
      }
    }
    JsonObject doc = new JsonObject().put("apiVersion", object.getValue("apiVersion"))
        .put("kind", object.getValue("kind")).put("metadata", md);
    if (object.getValue("spec") != null) {
      doc.put("spec", object.getValue("spec"));
    }
    return doc;
  }

  private static Answer allowed(String uid) {
    return answer(new JsonObject().put("uid", uid).put("allowed", true));
  }

  /**
   * The refusal: the message the agent writes into the task's status. No {@code details.causes}: kubectl would print
   * only those, without the message, which names the task and (in the API server's prefix) the webhook.
   */
  private static Answer refused(String uid, JsonObject metadata, TaskValidationException e) {
    String message = "DelayedTask " + metadata.getValue("namespace") + "/" + metadata.getValue("name") + ": "
        + e.getMessage();
    return answer(new JsonObject().put("uid", uid).put("allowed", false).put("status", new JsonObject()
        .put("code", 422).put("reason", "Invalid").put("message", message)));
  }

  private static Answer answer(JsonObject response) {
    return new Answer(200, new JsonObject().put("apiVersion", API_VERSION).put("kind", KIND).put("response", response));
  }

  private static Answer bad(String field, String message) {
    return new Answer(400, new JsonObject().put("error", "not an " + API_VERSION + " AdmissionReview: " + field + ": "
        + message).put("details", new JsonObject().put("field", field).put("message", message)));
  }

  private static String shown(Object value) {
    if (value instanceof String s) {
      return "'" + (s.length() > 80 ? s.substring(0, 77) + "..." : s) + "'";
    }
    return kindOf(value);
  }

  private static String kindOf(Object v) {
    return v == null ? "null (absent)" : v instanceof String ? "a string" : v instanceof Number ? "a number"
        : v instanceof Boolean ? "a boolean" : v instanceof JsonArray ? "a list" : "an object";
  }

  /** JSON text to Vert.x values; a body that is not UTF-8 or not JSON is a {@link DecodeException}. */
  private static Object decode(Buffer body) {
    try {
      return Json.decodeValue(StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(body.getBytes())).toString());
    } catch (CharacterCodingException e) {
      throw new DecodeException("not UTF-8");
    }
  }
}
