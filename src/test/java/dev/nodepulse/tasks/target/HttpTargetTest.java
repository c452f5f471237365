package dev.nodepulse.tasks.target;

import static dev.nodepulse.tasks.target.Run.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.RunResult.Outcome;
import dev.nodepulse.tasks.model.Target;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.ClientSSLOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.SelfSignedCertificate;
import io.vertx.junit5.VertxExtension;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(VertxExtension.class)
class HttpTargetTest {
  /** What the in-test server saw of one request. */
  record Seen(String method, String path, String host, String xRun, String body) {}

  /** The headers the agent sets, as the in-test server saw them. */
  record AgentHeaders(String path, String idempotencyKey, String userAgent) {}

  @TempDir Path dir;
  Vertx vertx;
  HttpServer server;
  int port;
  final List<Seen> seen = new CopyOnWriteArrayList<>();
  final List<AgentHeaders> agentHeaders = new CopyOnWriteArrayList<>();
  final AtomicInteger connections = new AtomicInteger();
  final AtomicBoolean neverClosed = new AtomicBoolean();
  Targets targets;

  @BeforeEach
  void start(Vertx vertx) {
    this.vertx = vertx;
    server = vertx.createHttpServer()
        .connectionHandler(c -> connections.incrementAndGet())
        .requestHandler(this::handle);
    port = await(server.listen(0, "127.0.0.1")).actualPort();
    targets = new Targets(vertx, Config.forTest(dir));
  }

  @AfterEach
  void stop() {
    targets.close();
  }

  private void handle(HttpServerRequest req) {
    req.body().onSuccess(body -> {
      seen.add(new Seen(req.method().name(), req.path(), req.getHeader("Host"), req.getHeader("X-Run"),
          body.toString()));
      agentHeaders.add(new AgentHeaders(req.path(), req.getHeader("Idempotency-Key"), req.getHeader("User-Agent")));
      switch (req.path()) {
        case "/ok" -> req.response().end("hello world\n");
        case "/fail" -> req.response().setStatusCode(503).end("down for\tmaintenance");
        case "/never" -> req.connection().closeHandler(v -> neverClosed.set(true));
        case "/hop" -> req.response().setStatusCode(302).putHeader("Location", "/ok").end();
        case "/see-other" -> req.response().setStatusCode(303).putHeader("Location", "/ok").end();
        case "/temporary" -> req.response().setStatusCode(307).putHeader("Location", "/ok").end();
        case "/cross" -> req.response().setStatusCode(302)
            .putHeader("Location", "http://localhost:" + port + "/ok").end(); // another origin, same server
        case "/loop" -> req.response().setStatusCode(302).putHeader("Location", "/loop").end();
        case "/metadata" -> req.response().setStatusCode(307)
            .putHeader("Location", "http://169.254.169.254/latest/meta-data/").end();
        case "/big" -> req.response().end(Buffer.buffer(new byte[3 << 20]));
        default -> req.response().setStatusCode(404).end();
      }
    });
  }

  private Target.Http get(String url) {
    return new Target.Http(url, "GET", Map.of(), null, Duration.ofSeconds(5), false, 5);
  }

  /** TLS handshakes load the JDK's crypto on first use: slow on a busy machine, so a bound far from the outcome. */
  private Target.Http getTls(String url, boolean insecure) {
    return new Target.Http(url, "GET", Map.of(), null, Duration.ofSeconds(60), insecure, 5);
  }

  private String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  @Test
  void sendsMethodHeadersAndBodyAndReportsStatusBytesAndExcerpt() {
    var target = new Target.Http(url("/ok"), "post", Map.of(), "{\"all\":true}", Duration.ofSeconds(5), false, 5);
    RunResult r = await(targets.start(target, Map.of("X-Run", "1"), p -> {}));

    assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(r.httpStatus()).isEqualTo(200);
    assertThat(r.bytes()).isEqualTo("hello world\n".length());
    assertThat(r.result()).isEqualTo("hello world");
    assertThat(r.error()).isNull();
    assertThat(seen).containsExactly(new Seen("POST", "/ok", "127.0.0.1:" + port, "1", "{\"all\":true}"));
  }

  @Test
  void keepsTheHostNameInTheHostHeader() {
    RunResult r = await(targets.start(get("http://localhost:" + port + "/ok"), Map.of(), p -> {}));

    assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(seen).extracting(Seen::host).containsExactly("localhost:" + port);
  }

  @Test
  void aBadHeaderFailsTheAttemptAtOnce() {
    RunResult r = await(targets.start(get(url("/ok")), Map.of("X-Bad", "line\r\nbreak"), p -> {}));

    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.error()).contains("not sent");
    assertThat(seen).isEmpty();
  }

  /** A value read at run time (a Secret, a variable) is not changed in sending: é€ would go out as é?. */
  @Test
  void aResolvedHeaderValueOutsideLatin1FailsTheAttemptWithoutShowingIt() {
    RunResult r = await(targets.start(get(url("/ok")), Map.of("X-Token", "ab\u00e9\u20accd"), p -> {}));

    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.error()).contains("X-Token").contains("position 4").contains("ISO-8859-1")
        .doesNotContain("\u20ac").doesNotContain("ab\u00e9");
    assertThat(seen).isEmpty();
  }

  @Test
  void serverErrorFailsWithTheStatus() {
    RunResult r = await(targets.start(get(url("/fail")), Map.of(), p -> {}));

    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.httpStatus()).isEqualTo(503);
    assertThat(r.error()).isEqualTo("HTTP 503");
    assertThat(r.result()).isEqualTo("down for maintenance");
  }

  @Test
  void aServerThatNeverAnswersTimesOutAndTheRequestIsReset() {
    var target = new Target.Http(url("/never"), "GET", Map.of(), null, Duration.ofMillis(300), false, 0);
    RunResult r = await(targets.start(target, Map.of(), p -> {}));

    assertThat(r.outcome()).isEqualTo(Outcome.TIMEOUT);
    assertThat(r.error()).contains("300ms");
    await().atMost(Duration.ofSeconds(30)).untilTrue(neverClosed);
  }

  @Test
  void cancelEndsTheRequest() {
    var target = new Target.Http(url("/never"), "GET", Map.of(), null, Duration.ofSeconds(30), false, 0);
    Execution e = targets.start(target, Map.of(), p -> {});
    await().atMost(Duration.ofSeconds(30)).until(() -> !seen.isEmpty());
    e.cancel();

    assertThat(await(e).outcome()).isEqualTo(Outcome.CANCELLED);
    await().atMost(Duration.ofSeconds(30)).untilTrue(neverClosed);
  }

  @Test
  void connectionRefusedFails() {
    HttpServer other = vertx.createHttpServer().requestHandler(req -> req.response().end());
    int closedPort = await(other.listen(0, "127.0.0.1")).actualPort();
    await(other.close());

    RunResult r = await(targets.start(get("http://127.0.0.1:" + closedPort + "/"), Map.of(), p -> {}));

    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.error()).contains("127.0.0.1:" + closedPort).containsIgnoringCase("refused");
  }

  @Test
  void followsRedirects() {
    RunResult r = await(targets.start(get(url("/hop")), Map.of(), p -> {}));

    assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(r.httpStatus()).isEqualTo(200);
    assertThat(r.result()).isEqualTo("hello world");
    assertThat(seen).extracting(Seen::path).containsExactly("/hop", "/ok");
  }

  @Test
  void seeOtherTurnsIntoAGetWhileTemporaryRedirectKeepsMethodAndBody() {
    var seeOther = new Target.Http(url("/see-other"), "POST", Map.of(), "data", Duration.ofSeconds(5), false, 5);
    var temporary = new Target.Http(url("/temporary"), "POST", Map.of(), "data", Duration.ofSeconds(5), false, 5);
    assertThat(await(targets.start(seeOther, Map.of(), p -> {})).outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(await(targets.start(temporary, Map.of(), p -> {})).outcome()).isEqualTo(Outcome.SUCCEEDED);

    assertThat(seen).extracting(Seen::method, Seen::path, Seen::body).containsExactly(
        tuple("POST", "/see-other", "data"),
        tuple("GET", "/ok", ""),
        tuple("POST", "/temporary", "data"),
        tuple("POST", "/ok", "data"));
  }

  @Test
  void taskHeadersFollowSameOriginRedirectsOnly() {
    var target = new Target.Http(url("/cross"), "GET", Map.of(), null, Duration.ofSeconds(5), false, 5);
    assertThat(await(targets.start(get(url("/hop")), Map.of("X-Run", "1"), p -> {})).outcome())
        .isEqualTo(Outcome.SUCCEEDED);
    assertThat(await(targets.start(target, Map.of("X-Run", "2"), p -> {})).outcome())
        .isEqualTo(Outcome.SUCCEEDED);

    assertThat(seen).extracting(Seen::path, Seen::xRun).containsExactly(
        tuple("/hop", "1"), tuple("/ok", "1"), tuple("/cross", "2"), tuple("/ok", null));
  }

  @Test
  void everyHopNamesTheAgentAndTheIdempotencyKeyFollowsEvenToAnotherOrigin() {
    var target = new Target.Http(url("/cross"), "GET", Map.of(), null, Duration.ofSeconds(5), false, 5);
    Map<String, String> headers = Map.of("X-Run", "3", "Idempotency-Key", "t/cross/2026-12-04T17:00:00Z");
    assertThat(await(targets.start(target, headers, p -> {})).outcome()).isEqualTo(Outcome.SUCCEEDED);

    String agent = "nodepulse/" + dev.nodepulse.config.Flags.version();
    assertThat(agentHeaders).containsExactly(
        new AgentHeaders("/cross", "t/cross/2026-12-04T17:00:00Z", agent),
        new AgentHeaders("/ok", "t/cross/2026-12-04T17:00:00Z", agent));
    assertThat(seen).extracting(Seen::xRun).containsExactly("3", null); // the task's own header stays behind
  }

  @Test
  void withoutRedirectsTheRedirectIsTheReply() {
    var target = new Target.Http(url("/hop"), "GET", Map.of(), null, Duration.ofSeconds(5), false, 0);
    RunResult r = await(targets.start(target, Map.of(), p -> {}));

    assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(r.httpStatus()).isEqualTo(302);
    assertThat(seen).extracting(Seen::path).containsExactly("/hop");
  }

  @Test
  void aRedirectLoopIsBounded() {
    var target = new Target.Http(url("/loop"), "GET", Map.of(), null, Duration.ofSeconds(5), false, 3);
    RunResult r = await(targets.start(target, Map.of(), p -> {}));

    assertThat(r.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(r.error()).contains("too many redirects").contains("3");
    assertThat(seen).hasSize(4);
  }

  @Test
  void eachRedirectHopPassesTheDestinationPolicy() {
    RunResult r = await(targets.start(get(url("/metadata")), Map.of(), p -> {}));

    assertThat(r.outcome()).isEqualTo(Outcome.DENIED);
    assertThat(r.error()).contains("169.254.169.254").contains("169.254.0.0/16");
  }

  @Test
  void readsAtMostOneMebibyte() {
    RunResult r = await(targets.start(get(url("/big")), Map.of(), p -> {}));

    assertThat(r.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(r.bytes()).isEqualTo(HttpTarget.MAX_BODY);
  }

  @Test
  @SuppressWarnings("removal") // SelfSignedCertificate: deprecated in Vert.x 5, still the simplest in-test cert
  void tlsIsVerifiedByDefaultAndSkippedOnlyWhenAsked() {
    SelfSignedCertificate cert = SelfSignedCertificate.create("localhost");
    HttpServer https = vertx.createHttpServer(new HttpServerOptions().setSsl(true)
            .setKeyCertOptions(cert.keyCertOptions()))
        .requestHandler(req -> req.response().end("secret"));
    int tlsPort = await(https.listen(0, "127.0.0.1")).actualPort();
    String tlsUrl = "https://localhost:" + tlsPort + "/";

    RunResult verified = await(targets.start(getTls(tlsUrl, false), Map.of(), p -> {}));
    RunResult skipped = await(targets.start(getTls(tlsUrl, true), Map.of(), p -> {}));

    assertThat(verified.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(verified.error()).contains("certificate is not trusted");
    assertThat(verified.httpStatus()).isNull();
    assertThat(skipped.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(skipped.result()).isEqualTo("secret");
  }

  @Test
  @SuppressWarnings("removal")
  void theCertificateIsCheckedAgainstTheHostNameNotTheAddress() {
    SelfSignedCertificate forLocalhost = SelfSignedCertificate.create("localhost");
    SelfSignedCertificate forOther = SelfSignedCertificate.create("other.example");
    int right = await(vertx.createHttpServer(new HttpServerOptions().setSsl(true)
        .setKeyCertOptions(forLocalhost.keyCertOptions())).requestHandler(req -> req.response().end("right"))
        .listen(0, "127.0.0.1")).actualPort();
    int wrong = await(vertx.createHttpServer(new HttpServerOptions().setSsl(true)
        .setKeyCertOptions(forOther.keyCertOptions())).requestHandler(req -> req.response().end("wrong"))
        .listen(0, "127.0.0.1")).actualPort();
    // trusts both certificates, checks host names as in production
    var trusting = new ClientSSLOptions().setHostnameVerificationAlgorithm("HTTPS")
        .setTrustOptions(new PemTrustOptions()
            .addCertPath(forLocalhost.certificatePath()).addCertPath(forOther.certificatePath()));
    HttpTarget http = new HttpTarget(vertx, vertx.createHttpClient(),
        new DestinationPolicy(List.of(), List.of()), trusting);

    RunResult named = runDirect(http, getTls("https://localhost:" + right + "/", false));
    RunResult mismatched = runDirect(http, getTls("https://localhost:" + wrong + "/", false));

    assertThat(named.outcome()).isEqualTo(Outcome.SUCCEEDED);
    assertThat(named.result()).isEqualTo("right");
    assertThat(mismatched.outcome()).isEqualTo(Outcome.FAILED);
    assertThat(mismatched.error()).contains("certificate does not name the host");
  }

  private RunResult runDirect(HttpTarget http, Target.Http target) {
    Context context = vertx.getOrCreateContext();
    Attempt attempt = new Attempt(vertx, context);
    context.runOnContext(v -> http.run(attempt, target, Map.of()));
    return await(attempt);
  }

  @Test
  void cloudMetadataIsDeniedByDefault() {
    RunResult r = await(targets.start(get("http://169.254.169.254/latest/meta-data/"), Map.of(), p -> {}));

    assertThat(r.outcome()).isEqualTo(Outcome.DENIED);
    assertThat(r.error()).contains("169.254.169.254").contains("169.254.0.0/16");
  }

  @Test
  void aNameResolvingToADeniedAddressIsDeniedWithoutConnecting() {
    Targets denying = new Targets(vertx, Config.forTest(dir, "--destination-deny", "127.0.0.1/32,::1/128"));
    try {
      RunResult r = await(denying.start(get("http://localhost:" + port + "/ok"), Map.of(), p -> {}));
      assertThat(r.outcome()).isEqualTo(Outcome.DENIED);
      assertThat(r.error()).contains("localhost").contains("--destination-deny");

      // the same request through a policy that allows it reaches the server: that is its first connection
      assertThat(await(targets.start(get(url("/ok")), Map.of(), p -> {})).outcome()).isEqualTo(Outcome.SUCCEEDED);
      assertThat(connections).hasValue(1);
      assertThat(seen).hasSize(1);
    } finally {
      denying.close();
    }
  }

  @Test
  void anAllowListAdmitsOnlyItsRangesAndDenyWins() {
    Targets elsewhere = new Targets(vertx, Config.forTest(dir, "--destination-allow", "10.0.0.0/8"));
    Targets loopback = new Targets(vertx, Config.forTest(dir, "--destination-allow", "127.0.0.0/8"));
    Targets both = new Targets(vertx, Config.forTest(dir, "--destination-allow", "127.0.0.0/8",
        "--destination-deny", "127.0.0.1/32"));
    try {
      RunResult outside = await(elsewhere.start(get(url("/ok")), Map.of(), p -> {}));
      RunResult inside = await(loopback.start(get(url("/ok")), Map.of(), p -> {}));
      RunResult denied = await(both.start(get(url("/ok")), Map.of(), p -> {}));

      assertThat(outside.outcome()).isEqualTo(Outcome.DENIED);
      assertThat(outside.error()).contains("127.0.0.1").contains("--destination-allow").contains("10.0.0.0/8");
      assertThat(inside.outcome()).isEqualTo(Outcome.SUCCEEDED);
      assertThat(denied.outcome()).isEqualTo(Outcome.DENIED);
      assertThat(denied.error()).contains("--destination-deny 127.0.0.1/32");
      assertThat(seen).hasSize(1);
    } finally {
      elsewhere.close();
      loopback.close();
      both.close();
    }
  }
}
