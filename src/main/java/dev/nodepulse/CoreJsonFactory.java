package dev.nodepulse;

import io.vertx.core.json.jackson.JacksonCodec;
import io.vertx.core.spi.JsonFactory;
import io.vertx.core.spi.json.JsonCodec;

/**
 * Vert.x's JSON (JsonObject, JsonArray, the event bus, request bodies) through jackson-core alone, found by
 * Vert.x through META-INF/services. Without it Vert.x picks its databind codec whenever jackson-databind is
 * on the class path (the task reader and fabric8 need it there) and builds an ObjectMapper at the first
 * JSON it touches: about 400 classes loaded into every agent, for encoding maps and lists that the core
 * codec encodes alike. The agent never maps its own classes through JsonObject ({@code mapFrom}/{@code mapTo}).
 */
public final class CoreJsonFactory implements JsonFactory {
  private static final JsonCodec CODEC = new JacksonCodec();

  @Override
  public int order() {
    return 0; // before Vert.x's own factory, whose order is the default (the largest)
  }

  @Override
  public JsonCodec codec() {
    return CODEC;
  }
}
