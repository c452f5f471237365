package dev.nodepulse.kube.crd;

import io.fabric8.crdv2.generator.v1.SchemaCustomizer;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.util.List;

/**
 * Build-time only (the CRD generator calls it): marks array properties of an object as list maps, so that
 * server-side apply merges their entries by key and each agent owns its own entry. {@code input} is
 * {@code property=key,property=key}; the key becomes required in the items.
 */
public final class ListMaps implements SchemaCustomizer.Customizer {
  @Override
  public JSONSchemaProps apply(JSONSchemaProps schema, String input, KubernetesSerialization serialization) {
    for (String pair : input.split(",")) {
      String[] kv = pair.trim().split("=", 2);
      JSONSchemaProps list = schema.getProperties().get(kv[0]);
      if (list == null || list.getItems() == null || list.getItems().getSchema() == null) {
        throw new IllegalArgumentException("no array property " + kv[0]);
      }
      list.setXKubernetesListType("map");
      list.setXKubernetesListMapKeys(List.of(kv[1]));
      JSONSchemaProps item = list.getItems().getSchema();
      if (!item.getRequired().contains(kv[1])) {
        item.getRequired().add(kv[1]);
      }
    }
    return schema;
  }
}
