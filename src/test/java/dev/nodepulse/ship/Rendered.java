package dev.nodepulse.ship;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** The objects of a rendered chart (multi-document YAML), by kind and name. */
record Rendered(List<JsonNode> objects) {
  private static final YAMLMapper YAML = new YAMLMapper();

  static Rendered parse(String yaml) throws IOException {
    List<JsonNode> out = new ArrayList<>();
    try (MappingIterator<JsonNode> it = YAML.readerFor(JsonNode.class).readValues(yaml)) {
      while (it.hasNext()) {
        JsonNode n = it.next();
        if (n != null && !n.isNull() && !n.isMissingNode() && n.has("kind")) {
          out.add(n);
        }
      }
    }
    return new Rendered(out);
  }

  List<String> kinds() {
    return objects.stream().map(o -> o.path("kind").asText()).sorted().toList();
  }

  List<JsonNode> ofKind(String kind) {
    return objects.stream().filter(o -> o.path("kind").asText().equals(kind)).toList();
  }

  JsonNode one(String kind) {
    List<JsonNode> all = ofKind(kind);
    if (all.size() != 1) {
      throw new AssertionError("expected one " + kind + ", found " + all.size() + " in " + kinds());
    }
    return all.get(0);
  }

  JsonNode named(String kind, String name) {
    return ofKind(kind).stream().filter(o -> o.path("metadata").path("name").asText().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + kind + " " + name + " in " + kinds()));
  }
}
