package dev.nodepulse.kube;

import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One simulated agent of {@link ScaleBench}: the API requests a whole agent makes, over plain HTTP through the
 * bench's counting forwarder. Its Lease is a copy of a real agent's (labels, annotations, spec) under its own name;
 * it lists and watches what an agent's informers list and watch (the agents' Leases, the claim Leases, the
 * DelayedTasks of every namespace, the ConfigMaps labelled {@code nodepulse.dev/tasks=true}), counting each event
 * its watches deliver (one JSON line each, bookmarks included).
 */
final class SimulatedAgent {
  static final DateTimeFormatter MICRO = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'")
      .withZone(ZoneOffset.UTC);

  final String name;
  private final HttpClient http;
  private final String base;
  private final AtomicLong events;
  private final List<Flow.Subscription> watches = new CopyOnWriteArrayList<>();

  SimulatedAgent(String name, HttpClient http, String base, AtomicLong events) {
    this.name = name;
    this.http = http;
    this.base = base;
    this.events = events;
  }

  static String leases(String base) {
    return base + "/apis/coordination.k8s.io/v1/namespaces/" + ScaleBench.NS + "/leases";
  }

  String leaseUrl() {
    return leases(base) + "/" + name;
  }

  /** At start, as the agent's first renewal: a GET of its Lease (not found), then its creation from {@code template}. */
  void createLease(JsonObject template) throws Exception {
    send(HttpRequest.newBuilder(URI.create(leaseUrl())).GET().build(), 404);
    String now = MICRO.format(Instant.now().truncatedTo(ChronoUnit.MICROS));
    JsonObject meta = template.getJsonObject("metadata");
    JsonObject annotations = new JsonObject();
    meta.getJsonObject("annotations", new JsonObject()).forEach(e -> annotations.put(e.getKey(),
        String.valueOf(e.getValue()).replace(ScaleBench.TEMPLATE_NODE, name)));
    JsonObject lease = new JsonObject().put("apiVersion", "coordination.k8s.io/v1").put("kind", "Lease")
        .put("metadata", new JsonObject().put("name", name).put("namespace", ScaleBench.NS)
            .put("labels", meta.getJsonObject("labels").copy()).put("annotations", annotations))
        .put("spec", template.getJsonObject("spec").copy().put("holderIdentity", name).put("acquireTime", now)
            .put("renewTime", now));
    send(HttpRequest.newBuilder(URI.create(leases(base))).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(lease.encode())).build(), 201);
  }

  /** As the agent's renewal: GET its Lease, set the renew time, PUT it back (conditional on its resourceVersion). */
  void renew() {
    try {
      HttpResponse<String> got = send(HttpRequest.newBuilder(URI.create(leaseUrl())).GET().build(), 200);
      JsonObject lease = new JsonObject(got.body());
      lease.getJsonObject("spec").put("renewTime", MICRO.format(Instant.now().truncatedTo(ChronoUnit.MICROS)));
      send(HttpRequest.newBuilder(URI.create(leaseUrl())).header("Content-Type", "application/json")
          .PUT(HttpRequest.BodyPublishers.ofString(lease.encode())).build(), 200);
    } catch (Exception e) {
      System.err.println(name + ": renewal failed: " + e);
    }
  }

  /** Lists, then watches from that resourceVersion (as an informer starts), each of an agent's four informers. */
  void startWatches() throws Exception {
    String agents = "labelSelector=" + LeaseHeartbeat.AGENT_LABEL.replace("/", "%2F") + "%3Dtrue";
    String claims = "labelSelector=" + ClaimLeases.CLAIM_LABEL.replace("/", "%2F") + "%3Dtrue";
    String tasks = "labelSelector=" + TaskInformers.TASKS_LABEL.replace("/", "%2F") + "%3Dtrue";
    watch(leases(base), agents);
    watch(leases(base), claims);
    watch(base + "/apis/nodepulse.dev/v1alpha1/delayedtasks", null);
    watch(base + "/api/v1/configmaps", tasks);
  }

  private void watch(String url, String selector) throws Exception {
    String q = selector == null ? "" : selector + "&";
    HttpResponse<String> list = send(HttpRequest.newBuilder(URI.create(url + "?" + q + "limit=500")).GET().build(),
        200);
    String rv = new JsonObject(list.body()).getJsonObject("metadata").getString("resourceVersion");
    URI uri = URI.create(url + "?" + q + "allowWatchBookmarks=true&watch=true&resourceVersion=" + rv);
    http.sendAsync(HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.fromLineSubscriber(
        new Flow.Subscriber<String>() {
          @Override
          public void onSubscribe(Flow.Subscription subscription) {
            watches.add(subscription);
            subscription.request(Long.MAX_VALUE);
          }

          @Override
          public void onNext(String line) {
            events.incrementAndGet();
          }

          @Override
          public void onError(Throwable err) {}

          @Override
          public void onComplete() {}
        }));
  }

  /** Closes its watches. */
  void stop() {
    watches.forEach(Flow.Subscription::cancel);
  }

  /** The claimer's status write: a PUT of {@code task} (with its resourceVersion: conditional) on status. */
  JsonObject putStatus(JsonObject task) throws Exception {
    JsonObject meta = task.getJsonObject("metadata");
    String url = base + "/apis/nodepulse.dev/v1alpha1/namespaces/" + meta.getString("namespace") + "/delayedtasks/"
        + meta.getString("name") + "/status";
    return new JsonObject(send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .PUT(HttpRequest.BodyPublishers.ofString(task.encode())).build(), 200).body());
  }

  /** The Event of a run. */
  void createEvent(JsonObject event) throws Exception {
    String url = base + "/api/v1/namespaces/" + event.getJsonObject("metadata").getString("namespace") + "/events";
    send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(event.encode())).build(), 201);
  }

  private HttpResponse<String> send(HttpRequest request, int expected) throws Exception {
    HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != expected) {
      throw new IllegalStateException(request.method() + " " + request.uri() + ": " + r.statusCode() + " "
          + r.body());
    }
    return r;
  }
}
