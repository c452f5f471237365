package dev.nodepulse.tasks.target;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Where http and tcp targets may connect. The cloud metadata and platform endpoints ({@link #DEFAULT_DENY},
 * {@link #DENIED_NAMES}) are always denied, plus {@code --destination-deny}, in every IPv6 form that embeds a
 * denied IPv4 address; when {@code --destination-allow} is set only its ranges are allowed. Deny wins over
 * allow. The agent's own listeners and the kubelet's ports on the node's own addresses are denied too, unless
 * a single-address allow entry names the address. A host name is resolved once and every address it
 * resolves to is checked; the caller then connects to the checked address.
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

  /**
   * Always denied: the metadata and platform endpoints of the major clouds and of Kubernetes nodes, listed in
   * docs/tasks.md. Link-local 169.254.0.0/16 holds most of them: the instance metadata of AWS, GCP, Azure,
   * Oracle, DigitalOcean, Hetzner, OpenStack, IBM, Huawei and others at 169.254.169.254, AWS ECS task metadata
   * and EKS Pod Identity at 169.254.170.2 and .23, Tencent's at 169.254.0.23, node-local DNS at 169.254.20.10.
   */
  static final List<Cidr> DEFAULT_DENY = List.of(
      Cidr.parse("169.254.0.0/16", "default deny (link-local, cloud metadata)"),
      Cidr.parse("100.100.100.200/32", "default deny (Alibaba Cloud metadata)"),
      Cidr.parse("168.63.129.16/32", "default deny (Azure WireServer)"),
      Cidr.parse("192.0.0.192/32", "default deny (Oracle Cloud metadata)"),
      Cidr.parse("fe80::/10", "default deny (IPv6 link-local)"),
      Cidr.parse("fd00:ec2::254/128", "default deny (AWS IPv6 metadata)"),
      Cidr.parse("fd00:ec2::23/128", "default deny (AWS IPv6 EKS Pod Identity)"),
      Cidr.parse("fd00:ec2::2/128", "default deny (AWS IPv6 ECS task metadata)"),
      Cidr.parse("fd20:ce::254/128", "default deny (GCP IPv6 metadata)"),
      Cidr.parse("fd00:c1::a9fe:a9fe/128", "default deny (Oracle Cloud IPv6 metadata)"));

  /**
   * Metadata host names, denied by name too (they resolve to a denied address on their cloud; by name the
   * refusal does not depend on the resolver). Compared lower-case, without a trailing dot.
   */
  static final Set<String> DENIED_NAMES = Set.of("metadata.google.internal", "metadata.goog",
      "metadata.tencentyun.com", "api.metadata.cloud.ibm.com", "metadata.platformequinix.com",
      "instance-data.ec2.internal");

  /** The kubelet's authenticated and read-only ports, denied on the node's own addresses. */
  static final Set<Integer> KUBELET_PORTS = Set.of(10250, 10255);

  private final List<Cidr> allow;
  private final List<Cidr> deny;
  private volatile Self self = new Self(Set.of(), null);
  private volatile Set<InetAddress> nodeAddresses;

  /** @throws IllegalArgumentException naming the flag and the value when a CIDR is bad */
  DestinationPolicy(List<String> allow, List<String> deny) {
    this.allow = allow.stream().filter(s -> !s.isBlank()).map(s -> Cidr.parse(s, "--destination-allow")).toList();
    List<Cidr> d = new ArrayList<>(DEFAULT_DENY);
    deny.stream().filter(s -> !s.isBlank()).map(s -> Cidr.parse(s, "--destination-deny")).forEach(d::add);
    this.deny = List.copyOf(d);
  }

  /** Checks one address with no port known: the CIDR rules only. */
  String check(InetAddress address) {
    return check(address, 0);
  }

  /**
   * Checks one address and port: null when allowed, else the reason naming the address and the rule. The
   * address and every IPv4 address embedded in it (IPv4-mapped, IPv4-compatible, NAT64, 6to4, Teredo) pass
   * the deny rules, so a denied IPv4 address cannot be reached through its IPv6 forms (NAT64 64:ff9b::/96 and the
   * local-use 64:ff9b:1::/48 too); the agent's own
   * listeners and the kubelet ports are denied on the node's own addresses unless a single-address entry of
   * {@code --destination-allow} names the address.
   */
  String check(InetAddress address, int port) {
    String shown = address.getHostAddress();
    for (InetAddress a : withEmbedded(address)) {
      String via = a == address ? "" : " (it embeds " + a.getHostAddress() + ")";
      for (Cidr c : deny) {
        if (c.contains(a)) {
          return "destination " + shown + via + " is denied by " + c.rule() + " " + c.text();
        }
      }
    }
    if (!allow.isEmpty() && allow.stream().noneMatch(c -> c.contains(address))) {
      return "destination " + shown + " is not in --destination-allow "
          + String.join(",", allow.stream().map(Cidr::text).toList());
    }
    if (port > 0 && (self.ports().contains(port) || KUBELET_PORTS.contains(port)) && isOwn(address)
        && allow.stream().noneMatch(c -> c.prefix() == c.network().length * 8 && c.contains(address))) {
      String what = self.ports().contains(port) ? "the agent's own listener" : "the node's kubelet";
      return "destination " + DestinationPolicy.hostText(address) + ":" + port + " is " + what
          + ", denied by default (a single-address --destination-allow entry re-opens it)";
    }
    return null;
  }

  /** Checks every address of {@code addresses}; allows the first when none is denied. */
  Decision decide(String host, List<InetAddress> addresses) {
    return decide(host, 0, addresses);
  }

  /** Checks every address of {@code addresses} with {@code port}; allows the first when none is denied. */
  Decision decide(String host, int port, List<InetAddress> addresses) {
    Denied byName = deniedName(host);
    if (byName != null) {
      return byName;
    }
    if (addresses.isEmpty()) {
      return new Denied("host " + host + " has no address");
    }
    for (InetAddress a : addresses) {
      String reason = check(a, port);
      if (reason != null) {
        return new Denied(addresses.size() == 1 && isLiteral(host) ? reason : reason + " (" + host + " resolves to it)");
      }
    }
    return new Allowed(addresses.get(0));
  }

  /**
   * Resolves {@code host} once (off the event loop) and decides for {@code port}. Fails only when the name does
   * not resolve.
   */
  Future<Decision> resolve(Vertx vertx, String host, int port) {
    Denied byName = deniedName(host);
    if (byName != null) {
      return Future.succeededFuture(byName);
    }
    return vertx.executeBlocking(() -> decide(host, port, List.of(InetAddress.getAllByName(host))), false);
  }

  private static Denied deniedName(String host) {
    String name = host.toLowerCase(java.util.Locale.ROOT);
    return DENIED_NAMES.contains(name.endsWith(".") ? name.substring(0, name.length() - 1) : name)
        ? new Denied("destination " + host + " is a cloud metadata name, denied by default") : null;
  }

  /** The agent's listeners now (their actual ports once they listen); set by {@link Targets}. */
  void listeners(Self now) {
    this.self = now;
  }

  /** The ports the agent itself listens on and the names that are the node. */
  record Self(Set<Integer> ports, String nodeName) {
    Self {
      ports = Set.copyOf(ports);
    }
  }

  /** The address itself, then each IPv4 address an IPv6 form embeds. */
  static List<InetAddress> withEmbedded(InetAddress address) {
    if (!(address instanceof Inet6Address)) {
      return List.of(address);
    }
    byte[] b = address.getAddress();
    List<InetAddress> out = new ArrayList<>(List.of(address));
    if (zero(b, 0, 10) && (b[10] & b[11] & 0xFF) == 0xFF) { // ::ffff:a.b.c.d, mapped
      out.add(v4(b, 12, 0));
    } else if (zero(b, 0, 12)) { // ::a.b.c.d, IPv4-compatible (deprecated, still routed by some stacks)
      out.add(v4(b, 12, 0));
    } else if (zero(b, 0, 8) && (b[8] & b[9] & 0xFF) == 0xFF && zero(b, 10, 12)) { // ::ffff:0:a.b.c.d, SIIT
      out.add(v4(b, 12, 0));
    } else if (b[0] == 0 && b[1] == 0x64 && (b[2] & 0xFF) == 0xFF && (b[3] & 0xFF) == 0x9B && zero(b, 4, 12)) {
      out.add(v4(b, 12, 0)); // 64:ff9b::/96, NAT64
    } else if (b[0] == 0 && b[1] == 0x64 && (b[2] & 0xFF) == 0xFF && (b[3] & 0xFF) == 0x9B && b[4] == 0 && b[5] == 1) {
      // 64:ff9b:1::/48, local-use NAT64 (RFC 8215): the IPv4 address where each RFC 6052 prefix length puts it
      out.add(v4(b, 12, 0)); // a /96 inside it
      out.add(v4(new byte[] {b[9], b[10], b[11], b[12]}, 0, 0)); // /64: after the u octet
      out.add(v4(new byte[] {b[7], b[9], b[10], b[11]}, 0, 0)); // /56: one octet before u, three after
      out.add(v4(new byte[] {b[6], b[7], b[9], b[10]}, 0, 0)); // /48: two octets before u, two after
    } else if (b[0] == 0x20 && b[1] == 0x02) { // 2002::/16, 6to4
      out.add(v4(b, 2, 0));
    } else if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) { // 2001::/32, Teredo
      out.add(v4(b, 4, 0)); // the Teredo server
      out.add(v4(b, 12, 0xFF)); // the client, stored inverted
    }
    return out;
  }

  private static boolean zero(byte[] b, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static InetAddress v4(byte[] b, int at, int xor) {
    byte[] a = new byte[4];
    for (int i = 0; i < 4; i++) {
      a[i] = (byte) (b[at + i] ^ xor);
    }
    try {
      return InetAddress.getByAddress(a);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e); // four bytes are always an address
    }
  }

  /**
   * Whether {@code address} (or an IPv4 address it embeds) is this node: loopback, the wildcard, an address
   * of one of its interfaces, or an address its node name resolves to. Blocking (interfaces, DNS).
   */
  private boolean isOwn(InetAddress address) {
    for (InetAddress a : withEmbedded(address)) {
      if (a.isLoopbackAddress() || a.isAnyLocalAddress()) {
        return true;
      }
      try {
        if (NetworkInterface.getByInetAddress(a) != null) {
          return true;
        }
      } catch (SocketException e) {
        // cannot list the interfaces: the name check below still applies
      }
      if (nodeAddresses().contains(a)) {
        return true;
      }
    }
    return false;
  }

  private Set<InetAddress> nodeAddresses() {
    Set<InetAddress> known = nodeAddresses;
    if (known == null) {
      try {
        String name = self.nodeName();
        known = name == null || name.isBlank() ? Set.of() : Set.of(InetAddress.getAllByName(name));
      } catch (UnknownHostException e) {
        known = Set.of(); // a node name that does not resolve has no addresses to protect
      }
      nodeAddresses = known;
    }
    return known;
  }

  static boolean isLiteral(String host) {
    return IPV4.matcher(host).matches() || host.contains(":");
  }

  /** The address as a URL host: IPv6 in brackets. */
  static String hostText(InetAddress address) {
    return address instanceof Inet4Address ? address.getHostAddress() : "[" + address.getHostAddress() + "]";
  }
}
