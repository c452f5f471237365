package dev.nodepulse.tasks.target;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Where http and tcp targets may connect. Link-local ranges (with the cloud metadata address) and the
 * IPv6 metadata address are always denied, plus {@code --destination-deny}; when {@code --destination-allow}
 * is set only its ranges are allowed. Deny wins over allow. A host name is resolved once and every address
 * it resolves to is checked; the caller then connects to the checked address.
 */
final class DestinationPolicy {
  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  /** A CIDR range and where it came from (a flag name or "default ..."). */
  record Cidr(byte[] network, int prefix, String text, String rule) {
    boolean contains(InetAddress address) {
      byte[] a = address.getAddress();
      if (a.length != network.length) {
        return false;
      }
      int full = prefix / 8;
      for (int i = 0; i < full; i++) {
        if (a[i] != network[i]) {
          return false;
        }
      }
      int rest = prefix % 8;
      if (rest == 0) {
        return true;
      }
      int mask = (0xFF << (8 - rest)) & 0xFF;
      return (a[full] & mask) == (network[full] & mask);
    }

    /** Parses {@code 10.0.0.0/8}, {@code fe80::/10} or a bare address (a /32 or /128). */
    static Cidr parse(String text, String rule) {
      String s = text.strip();
      int slash = s.indexOf('/');
      String addr = slash < 0 ? s : s.substring(0, slash);
      boolean v4 = IPV4.matcher(addr).matches()
          && java.util.Arrays.stream(addr.split("\\.")).allMatch(o -> Integer.parseInt(o) <= 255);
      if (!v4 && !IPV6.matcher(addr).matches()) {
        throw new IllegalArgumentException(rule + ": '" + text + "' is not a CIDR (like 10.0.0.0/8 or fd00::/8)");
      }
      byte[] bytes;
      try {
        bytes = InetAddress.getByName(addr).getAddress(); // a literal: no DNS lookup
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException(rule + ": '" + text + "' is not a CIDR: bad address '" + addr + "'");
      }
      if (IPV6.matcher(addr).matches() && bytes.length == 4 && slash >= 0) {
        // an IPv4-mapped IPv6 literal came back as IPv4: its prefix counts the 96 mapping bits
        int p = prefixOf(text, s.substring(slash + 1), 128, rule);
        if (p < 96) {
          throw new IllegalArgumentException(rule + ": '" + text + "' is not a CIDR: prefix of a mapped IPv4 address below 96");
        }
        return new Cidr(bytes, p - 96, s, rule);
      }
      int max = bytes.length * 8;
      int prefix = slash < 0 ? max : prefixOf(text, s.substring(slash + 1), max, rule);
      return new Cidr(bytes, prefix, s, rule);
    }

    private static int prefixOf(String text, String p, int max, String rule) {
      try {
        int prefix = Integer.parseInt(p);
        if (prefix >= 0 && prefix <= max) {
          return prefix;
        }
      } catch (NumberFormatException e) {
        // falls through to the error below
      }
      throw new IllegalArgumentException(rule + ": '" + text + "' is not a CIDR: prefix must be 0 to " + max);
    }
  }

  /** The result of a check: the address to connect to, or why not. */
  sealed interface Decision permits Allowed, Denied {}

  record Allowed(InetAddress address) implements Decision {}

  record Denied(String reason) implements Decision {}

  static final List<Cidr> DEFAULT_DENY = List.of(
      Cidr.parse("169.254.0.0/16", "default deny (link-local, cloud metadata)"),
      Cidr.parse("fe80::/10", "default deny (IPv6 link-local)"),
      Cidr.parse("fd00:ec2::254/128", "default deny (IPv6 cloud metadata)"));

  private final List<Cidr> allow;
  private final List<Cidr> deny;

  /** @throws IllegalArgumentException naming the flag and the value when a CIDR is bad */
  DestinationPolicy(List<String> allow, List<String> deny) {
    this.allow = allow.stream().filter(s -> !s.isBlank()).map(s -> Cidr.parse(s, "--destination-allow")).toList();
    List<Cidr> d = new ArrayList<>(DEFAULT_DENY);
    deny.stream().filter(s -> !s.isBlank()).map(s -> Cidr.parse(s, "--destination-deny")).forEach(d::add);
    this.deny = List.copyOf(d);
  }

  /** Checks one address: null when allowed, else the reason naming the address and the rule. */
  String check(InetAddress address) {
    String shown = address.getHostAddress();
    for (Cidr c : deny) {
      if (c.contains(address)) {
        return "destination " + shown + " is denied by " + c.rule() + " " + c.text();
      }
    }
    if (!allow.isEmpty() && allow.stream().noneMatch(c -> c.contains(address))) {
      return "destination " + shown + " is not in --destination-allow "
          + String.join(",", allow.stream().map(Cidr::text).toList());
    }
    return null;
  }

  /** Checks every address of {@code addresses}; allows the first when none is denied. */
  Decision decide(String host, List<InetAddress> addresses) {
    if (addresses.isEmpty()) {
      return new Denied("host " + host + " has no address");
    }
    for (InetAddress a : addresses) {
      String reason = check(a);
      if (reason != null) {
        return new Denied(addresses.size() == 1 && isLiteral(host) ? reason : reason + " (" + host + " resolves to it)");
      }
    }
    return new Allowed(addresses.get(0));
  }

  /**
   * Resolves {@code host} once (off the event loop) and decides. Fails only when the name does not resolve.
   */
  Future<Decision> resolve(Vertx vertx, String host) {
    return vertx.<List<InetAddress>>executeBlocking(() -> List.of(InetAddress.getAllByName(host)), false)
        .map(addresses -> decide(host, addresses));
  }

  static boolean isLiteral(String host) {
    return IPV4.matcher(host).matches() || host.contains(":");
  }

  /** The address as a URL host: IPv6 in brackets. */
  static String hostText(InetAddress address) {
    return address instanceof Inet4Address ? address.getHostAddress() : "[" + address.getHostAddress() + "]";
  }
}
