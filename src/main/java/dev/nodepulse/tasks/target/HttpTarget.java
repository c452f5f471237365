package dev.nodepulse.tasks.target;

import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.RunResult.Outcome;
import dev.nodepulse.tasks.model.Target;
import dev.nodepulse.tasks.target.DestinationPolicy.Allowed;
import dev.nodepulse.tasks.target.DestinationPolicy.Denied;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

/**
 * One http attempt: every hop (the URL and each redirect) is resolved and checked by the destination
 * policy, then sent to the checked address with the name kept for the Host header, SNI and certificate
 * check. The body is read up to {@link #MAX_BODY} bytes and kept as the output; its start is the excerpt. A
 * body that is not UTF-8 text (gzip, an image) is kept as a one-line statement of its size and Content-Type.
 * Every hop carries {@code User-Agent: nodepulse/<version>}; a hop to another origin carries the run's
 * idempotency key but none of the task's headers.
 */
final class HttpTarget {
  /** Sent on every request and hop: the agent and its version. */
  static final String USER_AGENT = "nodepulse/" + dev.nodepulse.config.Flags.version();
  static final int MAX_BODY = 1 << 20;
  static final int EXCERPT_CHARS = 200;
  private static final int EXCERPT_BYTES = EXCERPT_CHARS * 4;
  /** One shared instance: TLS options are part of the client's connection-pool key. */
  private static final ClientSSLOptions INSECURE =
      new ClientSSLOptions().setTrustAll(true).setHostnameVerificationAlgorithm("");

  private final Vertx vertx;
  private final HttpClient client;
  private final DestinationPolicy policy;
  private final ClientSSLOptions verifying;

  /** {@code verifying}: TLS options when verification is on (the JVM's trust store, host name checked). */
  HttpTarget(Vertx vertx, HttpClient client, DestinationPolicy policy, ClientSSLOptions verifying) {
    this.vertx = vertx;
    this.client = client;
    this.policy = policy;
    this.verifying = verifying;
  }

  static ClientSSLOptions defaultTls() {
    return new ClientSSLOptions().setHostnameVerificationAlgorithm("HTTPS");
  }

  void run(Attempt attempt, Target.Http target, Map<String, String> headers) {
    Duration timeout = target.timeout() == null ? Target.Http.DEFAULT_TIMEOUT : target.timeout();
    attempt.deadline(timeout, Outcome.TIMEOUT, "no complete reply within " + timeout.toMillis() + "ms");
    HttpMethod method;
    URI uri;
    try {
      method = HttpMethod.valueOf(target.method() == null ? "GET" : target.method().toUpperCase(java.util.Locale.ROOT));
      uri = new URI(target.url());
    } catch (Exception e) {
      attempt.fail(Outcome.FAILED, "bad http target: the method or the URL is not valid");
      return;
    }
    for (var h : headers.entrySet()) { // a Secret's or variable's value, read at run time: never changed in sending
      int wide = h.getValue().codePoints().takeWhile(c -> c <= 0xFF).map(c -> Character.charCount(c)).sum();
      if (wide < h.getValue().length()) {
        attempt.fail(Outcome.FAILED, "request not sent: the value of header " + h.getKey() + " has a character "
            + "outside ISO-8859-1 at position " + (h.getValue().codePointCount(0, wide) + 1) + " (not shown: it may be "
            + "a secret); HTTP header values are ISO-8859-1");
        return;
      }
    }
    new Run(attempt, target, headers).hop(uri, method, target.body(), 0);
  }

  private final class Run {
    private final Attempt attempt;
    private final Target.Http target;
    private volatile Map<String, String> headers;
    private volatile HttpClientRequest current;

    Run(Attempt attempt, Target.Http target, Map<String, String> headers) {
      this.attempt = attempt;
      this.target = target;
      this.headers = headers;
      attempt.onStop(() -> {
        HttpClientRequest r = current;
        if (r != null) {
          r.reset();
        }
      });
    }

    void hop(URI uri, HttpMethod method, String body, int redirects) {
      String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(java.util.Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https")) {
        attempt.fail(Outcome.FAILED, "url " + uri + ": scheme must be http or https");
        return;
      }
      String rawHost = uri.getHost();
      if (rawHost == null || rawHost.isEmpty()) {
        attempt.fail(Outcome.FAILED, "url " + uri + " has no host");
        return;
      }
      String host = rawHost.startsWith("[") ? rawHost.substring(1, rawHost.length() - 1) : rawHost;
      boolean ssl = scheme.equals("https");
      int port = uri.getPort() > 0 ? uri.getPort() : ssl ? 443 : 80;
      policy.resolve(vertx, host, port).onComplete(decided -> {
        if (attempt.isDone()) {
          return;
        }
        if (decided.failed()) {
          attempt.fail(Outcome.FAILED, "cannot resolve " + host + ": " + describe(decided.cause()));
          return;
        }
        switch (decided.result()) {
          case Denied d -> attempt.fail(Outcome.DENIED, d.reason());
          case Allowed a -> {
            try {
              send(uri, host, port, ssl, a, method, body, redirects);
            } catch (RuntimeException e) { // e.g. a header name or value Vert.x refuses
              attempt.fail(Outcome.FAILED, "request to " + host + ":" + port + " not sent: "
                  + (e instanceof IllegalArgumentException ? "a header name or value is not valid" : describe(e)));
            }
          }
        }
      });
    }

    private void send(URI uri, String host, int port, boolean ssl, Allowed to, HttpMethod method, String body,
        int redirects) {
      String path = uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath();
      if (uri.getRawQuery() != null) {
        path += "?" + uri.getRawQuery();
      }
      RequestOptions options = new RequestOptions()
          .setMethod(method)
          .setHost(host.contains(":") ? "[" + host + "]" : host) // an IPv6 literal in brackets, as in a URL
          .setPort(port)
          .setSsl(ssl)
          .setURI(path)
          .setServer(SocketAddress.inetSocketAddress(port, DestinationPolicy.hostText(to.address()))) // IPv6 in brackets
          .setFollowRedirects(false);
      if (ssl) {
        options.setSslOptions(target.insecureSkipTlsVerify() ? INSECURE : verifying);
      }
      headers.forEach(options::putHeader);
      options.putHeader("User-Agent", USER_AGENT); // a task cannot set it (refused when the task is read)
      client.request(options)
          .compose(request -> {
            current = request;
            if (attempt.isDone()) {
              request.reset();
            }
            return body == null ? request.send() : request.send(body);
          })
          .onComplete(sent -> {
            if (attempt.isDone()) {
              return;
            }
            if (sent.failed()) {
              attempt.fail(Outcome.FAILED, "request to " + host + ":" + port + " failed: " + describe(sent.cause()));
              return;
            }
            HttpClientResponse response = sent.result();
            int status = response.statusCode();
            String location = response.getHeader("Location");
            if (status >= 300 && status < 400 && location != null && target.maxRedirects() > 0) {
              response.exceptionHandler(e -> {}); // the reset below ends this response on purpose
              current.reset();
              follow(uri, location, status, method, body, redirects);
            } else {
              read(response);
            }
          });
    }

    private void follow(URI from, String location, int status, HttpMethod method, String body, int redirects) {
      if (redirects >= target.maxRedirects()) {
        attempt.fail(Outcome.FAILED, "too many redirects: stopped after " + target.maxRedirects() + " (last HTTP "
            + status + " to " + location + ")");
        return;
      }
      URI next;
      try {
        next = from.resolve(new URI(location));
      } catch (Exception e) {
        attempt.fail(Outcome.FAILED, "HTTP " + status + " with a bad Location '" + location + "'");
        return;
      }
      // 303, and 301/302 after anything but GET/HEAD, become a GET without a body (as browsers do)
      boolean keep = status == 307 || status == 308
          || ((status == 301 || status == 302) && (method == HttpMethod.GET || method == HttpMethod.HEAD));
      if (!sameOrigin(from, next)) {
        // the task's headers (maybe from Secrets) are not sent on to another origin; the idempotency key is
        String key = headers.get(Target.Http.IDEMPOTENCY_KEY);
        headers = key == null ? Map.of() : Map.of(Target.Http.IDEMPOTENCY_KEY, key);
      }
      hop(next, keep ? method : HttpMethod.GET, keep ? body : null, redirects + 1);
    }

    private void read(HttpClientResponse response) {
      int status = response.statusCode();
      Buffer start = Buffer.buffer();
      long[] count = {0};
      response.exceptionHandler(e -> attempt.fail(Outcome.FAILED, "reading the reply failed: " + describe(e)));
      response.handler(chunk -> {
        if (attempt.isDone()) {
          return;
        }
        int room = MAX_BODY - start.length();
        if (room > 0) {
          start.appendBuffer(chunk.length() <= room ? chunk : chunk.getBuffer(0, room));
        }
        count[0] += chunk.length();
        if (count[0] >= MAX_BODY) {
          done(status, response.getHeader("Content-Type"), MAX_BODY, start); // read no more: the reset in onStop drops the rest
        }
      });
      response.endHandler(v -> {
        current = null; // complete: nothing to reset, the connection goes back to the pool
        done(status, response.getHeader("Content-Type"), count[0], start);
      });
    }

    private void done(int status, String contentType, long bytes, Buffer start) {
      boolean cut = bytes >= MAX_BODY;
      String whole = Attempt.text(start.getBytes(), cut);
      String excerpt;
      if (whole == null) { // not text: stated, never stored with replacement characters
        whole = Attempt.binary(bytes, contentType) + (cut ? " [only its first " + MAX_BODY + " bytes were read]" : "");
        excerpt = whole;
      } else {
        excerpt = Attempt.excerpt(whole.length() > EXCERPT_BYTES ? whole.substring(0, EXCERPT_BYTES) : whole,
            EXCERPT_CHARS);
        if (cut) {
          whole += "\n[reply cut: only its first " + MAX_BODY + " bytes were read]";
        }
      }
      if (status >= 400) {
        attempt.finish(new RunResult(Outcome.FAILED, status, bytes, excerpt, "HTTP " + status, whole));
      } else {
        attempt.finish(new RunResult(Outcome.SUCCEEDED, status, bytes, excerpt, null, whole));
      }
    }
  }

  static boolean sameOrigin(URI a, URI b) {
    return java.util.Objects.equals(lower(a.getScheme()), lower(b.getScheme()))
        && java.util.Objects.equals(lower(a.getHost()), lower(b.getHost()))
        && effectivePort(a) == effectivePort(b);
  }

  private static String lower(String s) {
    return s == null ? null : s.toLowerCase(java.util.Locale.ROOT);
  }

  private static int effectivePort(URI uri) {
    return uri.getPort() > 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
  }

  /**
   * Why an attempt failed, in the agent's own words: the library's message is never shown (it may quote internals
   * or paths); the kind of failure is found along the cause chain (e.g. why TLS failed).
   */
  static String describe(Throwable e) {
    String found = null; // the deepest known cause says most (TLS: the certificate's problem)
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      String k = known(t);
      found = k != null ? k : found;
    }
    if (found != null) {
      return found;
    }
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return "failed (" + root.getClass().getSimpleName() + ")";
  }

  private static String known(Throwable t) {
    String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(java.util.Locale.ROOT);
    String type = t.getClass().getSimpleName();
    if (t instanceof java.net.UnknownHostException) {
      return "no such host";
    }
    if (type.contains("ConnectTimeout") || t instanceof java.net.SocketTimeoutException) {
      return "timed out connecting";
    }
    if (t instanceof java.net.ConnectException || t instanceof java.net.NoRouteToHostException) {
      return m.contains("no route") ? "no route to host" : "connection refused";
    }
    if (t instanceof java.security.cert.CertificateException && (m.contains("no name matching")
        || m.contains("no subject alternative"))) {
      return "TLS failed: the server's certificate does not name the host";
    }
    if (t instanceof java.security.cert.CertPathValidatorException || t instanceof java.security.cert.CertificateException
        || m.contains("certification path") || type.equals("ValidatorException")) {
      return "TLS failed: the server's certificate is not trusted (no certification path to a trusted authority)";
    }
    if (t instanceof java.nio.file.AccessDeniedException) {
      return "permission denied";
    }
    if (t instanceof java.nio.file.NoSuchFileException) {
      return "no such file";
    }
    if (m.contains("broken pipe")) {
      return "the other end closed the connection (broken pipe)";
    }
    if (m.contains("connection reset")) {
      return "the connection was reset";
    }
    if (t instanceof io.vertx.core.http.HttpClosedException || t instanceof java.nio.channels.ClosedChannelException
        || m.contains("connection was closed")) {
      return "the connection was closed";
    }
    if (t instanceof javax.net.ssl.SSLException) {
      return "TLS failed";
    }
    return null;
  }
}
