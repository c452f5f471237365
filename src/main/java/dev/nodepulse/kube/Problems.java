package dev.nodepulse.kube;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/** Why a call to the API server failed, in a few words for health and logs (never an exception's own text). */
public final class Problems {
  private Problems() {}

  public static String describe(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof KubernetesClientException k && k.getCode() > 0) {
        return switch (k.getCode()) {
          case 401 -> "HTTP 401: the API server did not accept the agent's credentials";
          case 403 -> "HTTP 403: the agent's ServiceAccount lacks a permission (see the chart's ClusterRole)";
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
