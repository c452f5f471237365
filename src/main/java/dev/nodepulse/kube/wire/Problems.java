package dev.nodepulse.kube.wire;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;

/** Why a call to the API server failed, in a few words for health and logs (never an exception's own text). */
public final class Problems {
  /**
   * The API server's RBAC refusal: {@code User "u" cannot verb resource "r" in API group "g" in the namespace "n"}
   * (or {@code at the cluster scope}); the authorizer's own wording, stable across versions.
   */
  private static final Pattern FORBIDDEN = Pattern.compile("User \"([^\"]*)\" cannot (\\S+) resource \"([^\"]+)\""
      + "(?: in API group \"([^\"]*)\")?(?: in the namespace \"([^\"]*)\"| at the cluster scope)?");

  private Problems() {}

  /** A 403: who was refused, which verb on which resource and where; what to do about it. */
  public static String forbidden(KubernetesClientException k) {
    String message = k.getStatus() == null ? null : k.getStatus().getMessage();
    Matcher m = message == null ? null : FORBIDDEN.matcher(message);
    if (m == null || !m.find()) {
      return "HTTP 403: the API server refused the agent's identity a permission (see the chart's ClusterRole)";
    }
    String resource = m.group(3) + (m.group(4) == null || m.group(4).isEmpty() ? "" : "." + m.group(4));
    String where = m.group(5) != null ? " in namespace " + m.group(5) : " cluster-wide";
    return "HTTP 403: " + m.group(1) + " may not " + m.group(2) + " " + resource + where
        + " (grant it to that identity, as the chart's ClusterRole does)";
  }

  public static String describe(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof KubernetesClientException k && k.getCode() > 0) {
        return switch (k.getCode()) {
          case 401 -> "HTTP 401: the API server did not accept the agent's credentials (the kubeconfig's user, or the "
              + "pod's ServiceAccount token)";
          case 403 -> forbidden(k);
          case 404 -> "HTTP 404: not found (is the DelayedTask CRD installed?)";
          case 409 -> "HTTP 409: conflict";
          default -> "HTTP " + k.getCode() + " from the API server";
        };
      }
      if (c instanceof ConnectException || c instanceof ClosedChannelException) {
        return "cannot connect to the API server (connection refused or reset)";
      }
      if (c instanceof HttpConnectTimeoutException || c instanceof HttpTimeoutException
          || c instanceof TimeoutException || c instanceof java.net.SocketTimeoutException) {
        return "the API server did not answer in time";
      }
      if (c instanceof UnknownHostException) {
        return "the API server's host name does not resolve";
      }
      if (c instanceof SSLException) {
        return "TLS with the API server failed";
      }
    }
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof java.io.IOException) {
        return "the connection to the API server failed";
      }
    }
    return "the API server cannot be reached";
  }
}
