package dev.nodepulse.bus;

/**
 * The addresses of the cluster view (Kubernetes mode): what the web concern asks of the cluster concern and what the
 * page is pushed. The cluster concern asks its peers only while someone views: a REST call or a SockJS subscriber
 * of {@link #SUMMARY}.
 */
public final class ClusterView {
  /** Request/reply: {@code {}} → {@code {"items": [{node, state, percent, avg1m, load, memory, sampledAt}]}}. */
  public static final String NODES = "nodepulse.cluster.nodes";
  /** Publish, once a second while subscribed: the same as {@link #NODES} answers (bridged to the page). */
  public static final String SUMMARY = "nodepulse.cluster.summary";
  /** Publish (web, local): {@code {"count": n}}, the page's subscribers of {@link #SUMMARY}, on every change. */
  public static final String VIEWERS = "nodepulse.cluster.viewers";
  /**
   * Request/reply: {@code {"node", "path", "query"}} (path under the node's /api/v1/) → {@code {"status",
   * "contentType", "body" (a Buffer)}}, the node's own answer; fails 404 (unknown node or path), 502/503/504.
   */
  public static final String PROXY = "nodepulse.cluster.proxy";

  private ClusterView() {}
}
