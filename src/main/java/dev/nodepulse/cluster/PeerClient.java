package dev.nodepulse.cluster;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.time.Duration;
import java.util.concurrent.TimeoutException;

/**
 * GETs of a peer's metrics listener with this agent's bearer token: each answer read up to a bound (a larger one is
 * cut off and fails with {@link TooLarge}), each request ended after its timeout (fails with TimeoutException).
 * Connections are kept per peer, at most {@code perPeer} of them, with at most {@code waiting} requests queued.
 */
final class PeerClient implements AutoCloseable {
  record Answer(int status, String contentType, Buffer body) {}

  /** An answer larger than the bound. */
  static final class TooLarge extends RuntimeException {
    TooLarge(int max) {
      super("its answer is larger than " + max + " bytes", null, false, false);
    }
  }

  private final Vertx vertx;
  private final HttpClientAgent client;

  PeerClient(Vertx vertx, int perPeer, int waiting) {
    this.vertx = vertx;
    client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setKeepAliveTimeout(30)
        .setMaxInitialLineLength(4096).setMaxHeaderSize(8192), new PoolOptions().setHttp1MaxSize(perPeer)
        .setMaxWaitQueueSize(waiting));
  }

  Future<Answer> get(String host, int port, String uri, String token, int maxBytes, Duration timeout) {
    long ms = timeout.toMillis();
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setHost(host).setPort(port).setURI(uri)
        .setConnectTimeout(ms).setIdleTimeout(ms).putHeader("Authorization", "Bearer " + token)
        .putHeader("Accept", "application/json, text/plain");
    Promise<Answer> answer = Promise.promise();
    long timer = vertx.setTimer(ms, id -> answer.tryFail(new TimeoutException("no answer within " + timeout.toMillis()
        + " ms")));
    client.request(options).onFailure(answer::tryFail).onSuccess(req -> {
      answer.future().onFailure(err -> req.reset()); // a request given up (timeout, too large) is ended
      req.send().onFailure(answer::tryFail).onSuccess(resp -> read(req, resp, maxBytes, answer));
    });
    return answer.future().onComplete(done -> vertx.cancelTimer(timer));
  }

  private static void read(HttpClientRequest req, HttpClientResponse resp, int max, Promise<Answer> answer) {
    String length = resp.getHeader("content-length");
    if (length != null && length.matches("\\d{1,18}") && Long.parseLong(length) > max) {
      answer.tryFail(new TooLarge(max));
      req.reset();
      return;
    }
    Buffer body = Buffer.buffer();
    resp.handler(chunk -> {
      if (answer.future().isComplete()) {
        return;
      }
      if (body.length() + chunk.length() > max) {
        answer.tryFail(new TooLarge(max));
        req.reset();
        return;
      }
      body.appendBuffer(chunk);
    });
    resp.exceptionHandler(answer::tryFail);
    resp.endHandler(v -> answer.tryComplete(new Answer(resp.statusCode(), resp.getHeader("content-type"), body)));
  }

  @Override
  public void close() {
    client.close();
  }
}
