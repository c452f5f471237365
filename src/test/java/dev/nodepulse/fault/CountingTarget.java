package dev.nodepulse.fault;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/** An HTTP target on loopback that answers 200 at once and notes when each path ({@code /<task>}) was reached. */
final class CountingTarget implements AutoCloseable {
  private final HttpServer server;
  private final Map<String, List<Long>> arrivals = new ConcurrentHashMap<>();

  CountingTarget() throws Exception {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", ex -> {
      ex.getRequestBody().readAllBytes();
      arrivals.computeIfAbsent(ex.getRequestURI().getPath().substring(1), k -> new CopyOnWriteArrayList<>())
          .add(System.nanoTime());
      ex.sendResponseHeaders(200, -1);
      ex.close();
    });
    server.start();
  }

  /** A one-shot task file calling {@code /<name>} after {@code delay: 0s}. */
  String taskYaml(String name) {
    return "metadata: {name: " + name + "}\nspec:\n  delay: 0s\n  target:\n    http: {url: \"http://127.0.0.1:"
        + server.getAddress().getPort() + "/" + name + "\", method: POST, timeout: 10s}\n";
  }

  int hits(String name) {
    return arrivals.getOrDefault(name, List.of()).size();
  }

  /** When {@code name} was first reached ({@link System#nanoTime()}). */
  long firstArrival(String name) {
    return arrivals.get(name).get(0);
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
