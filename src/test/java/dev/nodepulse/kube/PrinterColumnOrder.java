package dev.nodepulse.kube;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * The generated CRD with its printer columns in the order the resource class declares them. fabric8's crd-generator
 * (7.9.0) collects the columns in a map sorted by JSON path and has no attribute to order them, so kubectl would show
 * them alphabetically by path; this moves the generated column entries and drops their {@code priority: 0}, which
 * the API server does not keep (a zero is its default), so that a second {@code kubectl apply} of the CRD finds
 * nothing to change; nothing else in the text changes.
 */
final class PrinterColumnOrder {
  private static final String BLOCK = "  - additionalPrinterColumns:";
  private static final String ITEM = "    - jsonPath: ";
  private static final String ZERO_PRIORITY = "      priority: 0";

  private PrinterColumnOrder() {}

  static String declared(String generatedYaml, Class<?> resource) {
    List<String> order = Arrays.stream(resource.getAnnotationsByType(AdditionalPrinterColumn.class))
        .map(c -> "\"" + c.jsonPath() + "\"").toList();
    List<String> lines = new ArrayList<>(Arrays.asList(generatedYaml.split("\n", -1)));
    int start = lines.indexOf(BLOCK);
    if (start < 0) {
      throw new IllegalArgumentException("no additionalPrinterColumns in the generated CRD");
    }
    int end = start + 1;
    List<List<String>> items = new ArrayList<>();
    while (end < lines.size() && (lines.get(end).startsWith(ITEM) || lines.get(end).startsWith("      "))) {
      if (lines.get(end).startsWith(ITEM)) {
        items.add(new ArrayList<>());
      }
      if (!lines.get(end).equals(ZERO_PRIORITY)) {
        items.get(items.size() - 1).add(lines.get(end));
      }
      end++;
    }
    items.sort(Comparator.comparingInt(item -> {
      int i = order.indexOf(item.get(0).substring(ITEM.length()));
      if (i < 0) {
        throw new IllegalArgumentException("a generated column that is not declared: " + item.get(0));
      }
      return i;
    }));
    List<String> out = new ArrayList<>(lines.subList(0, start + 1));
    items.forEach(out::addAll);
    out.addAll(lines.subList(end, lines.size()));
    return String.join("\n", out);
  }
}
