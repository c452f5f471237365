package dev.nodepulse.web;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.core.net.HostAndPort;
import io.vertx.ext.web.RoutingContext;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Collection;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Answers 421 to a request whose {@code Host} does not name this agent, so that a DNS-rebinding page in a
 * browser on the machine cannot reach the API under a name of its own. Accepted: {@code localhost}, the
 * listen address, the machine's host name and the addresses of its interfaces (the pod IP that Prometheus
 * scrapes by, the loopback that port-forward reaches), the node name and {@code --allowed-hosts}. A request
 * without Host (HTTP/1.0) carries no name to rebind and passes.
 */
final class HostCheck implements Handler<RoutingContext> {
  private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.%a-zA-Z]*");
  private static final int MAX_SHOWN = 100;

  private final Set<String> names;

  HostCheck(Set<String> names) {
    this.names = Set.copyOf(names);
  }

  /** Gathers the names (blocking: interfaces and the host name) off the event loop. */
  static Future<HostCheck> create(Vertx vertx, String listenHost, String nodeName, Collection<String> allowed) {
    return vertx.executeBlocking(() -> {
      Set<String> names = new HashSet<>();
      names.add("localhost");
      names.add(normal(listenHost));
      if (nodeName != null) {
        names.add(normal(nodeName));
      }
      allowed.forEach(a -> names.add(normal(a)));
      try {
        InetAddress local = InetAddress.getLocalHost();
        names.add(normal(local.getHostName()));
        names.add(normal(local.getCanonicalHostName()));
      } catch (UnknownHostException e) {
        // no resolvable host name: the addresses below still count
      }
      try {
        NetworkInterface.networkInterfaces().flatMap(NetworkInterface::inetAddresses)
            .forEach(a -> names.add(normal(a.getHostAddress())));
      } catch (SocketException e) {
        // no interface list: loopback literals are still known
        names.add("127.0.0.1");
        names.add(normal("::1"));
      }
      return new HostCheck(names);
    }, false);
  }

  /** Lower case, without a trailing dot, brackets or zone; IP literals in their one canonical text. */
  static String normal(String host) {
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1);
    }
    int zone = h.indexOf('%');
    if (zone >= 0) {
      h = h.substring(0, zone);
    }
    if (IP_LITERAL.matcher(h).matches()) {
      try {
        return InetAddress.getByName(h).getHostAddress(); // a literal: no lookup
      } catch (UnknownHostException e) {
        return h;
      }
    }
    return h;
  }

  boolean accepts(String host) {
    return names.contains(normal(host));
  }

  @Override
  public void handle(RoutingContext ctx) {
    HostAndPort authority = ctx.request().authority();
    if (authority == null || accepts(authority.host())) {
      ctx.next();
      return;
    }
    String shown = authority.host().length() > MAX_SHOWN ? authority.host().substring(0, MAX_SHOWN) : authority.host();
    Errors.send(ctx, 421, "misdirected request: this agent does not answer to host '" + shown
        + "' (see --allowed-hosts)", new JsonObject().put("field", "Host").put("value", shown));
  }
}
