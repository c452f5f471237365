package dev.nodepulse.tasks.model;

import java.util.Locale;
import java.util.Objects;

/**
 * Where a task declaration comes from: the kind of source, the source's own identity of the declaration, and
 * the generation the source gave it. Two declarations are the same declaration when kind and id are equal
 * (the generation may move on); a task ({@code namespace/name}) belongs to the first declaration that claimed it.
 *
 * <ul>
 *   <li>{@code FILE}: id is the file's path (in {@code --tasks-dir});</li>
 *   <li>{@code REST}: id is {@code rest:<namespace>/<name>} (a later post of the same task replaces it);</li>
 *   <li>{@code CRD}: id is the DelayedTask's {@code metadata.uid};</li>
 *   <li>{@code CONFIGMAP}: id is {@code <namespace>/<configmap>:<key>}.</li>
 * </ul>
 */
public record Origin(Kind kind, String id, long generation) {

  public enum Kind {
    FILE, REST, CRD, CONFIGMAP;

    /** The lower-case name, as stored in tasks.db. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public Origin {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(id, "id");
  }

  /** The REST origin of a posted task. */
  public static Origin rest(String namespace, String name) {
    return new Origin(Kind.REST, "rest:" + namespace + "/" + name, 0);
  }

  /** True when both are the same declaration (kind and id), whatever the generations. */
  public boolean sameDeclaration(Origin o) {
    return o != null && kind == o.kind && id.equals(o.id);
  }

  /** Words for errors: {@code file /etc/nodepulse/tasks/a.yaml}, {@code a REST post}, ... */
  public String describe() {
    return switch (kind) {
      case FILE -> "file " + id;
      case REST -> "a REST post";
      case CRD -> "DelayedTask uid " + id;
      case CONFIGMAP -> "ConfigMap " + id.replaceFirst(":", " key ");
    };
  }
}
