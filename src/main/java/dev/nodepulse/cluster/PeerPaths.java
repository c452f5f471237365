package dev.nodepulse.cluster;

import java.util.List;
import java.util.regex.Pattern;

/**
 * What of a node's own REST the cluster view reaches through a peer: GET only, these paths under {@code /api/v1/}
 * and nothing else (nothing reached on the pod IP can change tasks). Checked by the viewing agent where a request
 * enters and again by the peer that serves it.
 */
final class PeerPaths {
  /** A DNS-1123 subdomain (node names, namespaces and task names are). */
  private static final String NAME = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
  private static final Pattern NODE = Pattern.compile(NAME);
  private static final String TASK = "tasks/" + NAME + "/" + NAME;
  /** The forwarded paths, relative to /api/v1/. */
  static final List<String> SHOWN = List.of("cpu", "cpu/times", "memory", "host", "history", "processes", "tasks",
      "tasks/{namespace}/{name}", "tasks/{namespace}/{name}/runs", "tasks/{namespace}/{name}/runs/latest/output");
  private static final Pattern ALLOWED = Pattern.compile(
      "cpu|cpu/times|memory|host|history|processes|tasks|" + TASK + "|" + TASK + "/runs|" + TASK + "/runs/latest/output");

  private PeerPaths() {}

  /** A node name as Kubernetes allows it: a DNS-1123 subdomain of at most 253 characters. */
  static boolean node(String s) {
    return s != null && s.length() <= 253 && NODE.matcher(s).matches();
  }

  /** True for a path (relative to /api/v1/, no leading slash) the cluster view forwards. */
  static boolean allowed(String path) {
    return path != null && path.length() <= 600 && ALLOWED.matcher(path).matches();
  }
}
