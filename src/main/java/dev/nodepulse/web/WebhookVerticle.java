package dev.nodepulse.web;

import dev.nodepulse.config.Config;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.ServerSSLOptions;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.BodyHandler;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The validating admission webhook of DelayedTasks ({@code --webhook-port}): an HTTPS listener of its own (API
 * servers call webhooks only over TLS), certificate and key from {@code --webhook-cert-file} and
 * {@code --webhook-key-file} (PEM), answering {@code POST /validate/delayedtasks} with {@link Admission}. Its
 * connections are capped and timed out as the other listeners' are; a review body is at most {@link #BODY_LIMIT}.
 * The two files are read again every {@link #RELOAD_EVERY}: a new certificate (a Secret made anew, which the kubelet
 * puts into the pod's volume) is served to new connections without a restart; one that cannot be used is logged
 * once and the previous one kept.
 */
public final class WebhookVerticle extends VerticleBase {
  /** Where the API server sends its reviews (the chart's ValidatingWebhookConfiguration names it). */
  public static final String PATH = "/validate/delayedtasks";
  /**
   * Largest AdmissionReview read (413 beyond): a task with its old version for an update, each with kubectl's
   * last-applied annotation, is a few KiB; the most the agent accepts in one task is about 600 KiB. A larger
   * review is refused, and the API server, whose failurePolicy is Ignore, then stores the task: the agent
   * reports what is wrong with it in its status.
   */
  static final long BODY_LIMIT = 1024 * 1024;
  /** Connections at once: the API servers keep a few each; a body each at most (8 MiB in all). */
  static final int MAX_CONNECTIONS = 8;
  /** How often the certificate and key files are read again. */
  static final Duration RELOAD_EVERY = Duration.ofSeconds(30);
  private static final Logger LOG = LoggerFactory.getLogger(WebhookVerticle.class);

  private final Config config;
  private final Duration reloadEvery;
  private HttpServer server;
  /** The files' content being served, and the last content refused or unreadable (each logged once). */
  private Buffer served;
  private Buffer refused;

  public WebhookVerticle(Config config) {
    this(config, RELOAD_EVERY);
  }

  WebhookVerticle(Config config, Duration reloadEvery) {
    this.config = config;
    this.reloadEvery = reloadEvery;
  }

  @Override
  public Future<?> start() {
    ConnectionGuard guard = new ConnectionGuard("webhook", MAX_CONNECTIONS, config.httpHeaderTimeout().toMillis());
    guard.start(vertx);
    Router router = Router.router(vertx);
    router.route().order(-1_001).handler(guard);
    router.post(PATH).handler(BodyHandler.create(false).setBodyLimit(BODY_LIMIT)).handler(ctx -> {
      Admission.Answer a = Admission.review(ctx.body().buffer() == null ? Buffer.buffer() : ctx.body().buffer());
      ctx.response().setStatusCode(a.status()).putHeader("content-type", "application/json").end(a.body().encode());
    });
    for (int status : new int[] {400, 404, 405, 413, 500}) {
      router.errorHandler(status, ctx -> {
        int code = ctx.statusCode() > 0 ? ctx.statusCode() : status;
        Errors.send(ctx, code, Errors.reason(code), code == 413 ? "an AdmissionReview is at most " + BODY_LIMIT
            + " bytes" : code == 404 || code == 405 ? "the webhook answers POST " + PATH : null);
      });
    }
    HttpServerOptions options = new HttpServerOptions()
        .setSsl(true)
        .setKeyCertOptions(keyCert())
        .setMaxInitialLineLength(WebVerticle.MAX_REQUEST_LINE)
        .setMaxHeaderSize(WebVerticle.MAX_HEADERS)
        .setIdleTimeout((int) config.httpIdleTimeout().toMillis())
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS);
    return files().compose(content -> {
      served = content;
      return vertx.createHttpServer(options).connectionHandler(guard::opened).requestHandler(router)
          .listen(config.webhookPort(), config.webhookHost());
    }).recover(err -> Future.failedFuture("--webhook-port " + config.webhookPort() + ": cannot serve HTTPS on "
        + config.webhookHost() + " with --webhook-cert-file " + config.webhookCertFile() + " and --webhook-key-file "
        + config.webhookKeyFile() + ": " + err.getMessage())
    ).onSuccess(s -> {
      server = s;
      LOG.info("admission webhook on https://{}:{}{}", config.webhookHost(), s.actualPort(), PATH);
      vertx.setPeriodic(reloadEvery.toMillis(), id -> reload());
    });
  }

  private PemKeyCertOptions keyCert() {
    return new PemKeyCertOptions().setCertPath(config.webhookCertFile().toString())
        .setKeyPath(config.webhookKeyFile().toString());
  }

  /** The certificate's and the key's bytes, one after the other. */
  private Future<Buffer> files() {
    var fs = vertx.fileSystem();
    return fs.readFile(config.webhookCertFile().toString()).compose(cert -> fs.readFile(config.webhookKeyFile()
        .toString()).map(key -> Buffer.buffer().appendBuffer(cert).appendBuffer(key)));
  }

  /** Serves the files' new content, if they changed and can be used. */
  private void reload() {
    files().onFailure(err -> refuse(null, "cannot be read (" + err.getMessage() + ")")).onSuccess(content -> {
      if (content.equals(served) || content.equals(refused)) {
        return;
      }
      server.updateSSLOptions(new ServerSSLOptions().setKeyCertOptions(keyCert()), true)
          .onSuccess(updated -> {
            served = content;
            refused = null;
            LOG.info("admission webhook: serving the new certificate of --webhook-cert-file {}", config.webhookCertFile());
          })
          .onFailure(err -> refuse(content, "cannot be used (" + err.getMessage() + ")"));
    });
  }

  /** Logs once per content (an empty one: the files could not be read) that it is not served. */
  private void refuse(Buffer content, String why) {
    Buffer seen = content == null ? Buffer.buffer() : content;
    if (seen.equals(refused)) {
      return;
    }
    refused = seen;
    LOG.warn("admission webhook: --webhook-cert-file {} or --webhook-key-file {} {}; still serving the previous "
        + "certificate", config.webhookCertFile(), config.webhookKeyFile(), why);
  }

  /** The listener's actual port (-1 before it listens). */
  public int port() {
    return server == null ? -1 : server.actualPort();
  }
}
