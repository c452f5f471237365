package dev.nodepulse.tasks.target;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The default deny list, table-driven: every cloud metadata and platform endpoint in every IPv4 and IPv6 spelling
 * is denied with no flag given; neighbours of the single addresses stay allowed (no wide range was denied).
 */
class CloudMetadataDenyTest {
  static final DestinationPolicy POLICY = new DestinationPolicy(List.of(), List.of());

  /** The IPv4 endpoints: where, and the address. */
  static final List<String[]> V4 = List.of(
      new String[] {"AWS, GCP, Azure, Oracle, DigitalOcean, Hetzner, OpenStack, IBM metadata", "169.254.169.254"},
      new String[] {"AWS ECS task metadata", "169.254.170.2"},
      new String[] {"AWS EKS Pod Identity", "169.254.170.23"},
      new String[] {"Tencent Cloud metadata", "169.254.0.23"},
      new String[] {"Kubernetes node-local DNS", "169.254.20.10"},
      new String[] {"Alibaba Cloud metadata", "100.100.100.200"},
      new String[] {"Azure WireServer", "168.63.129.16"},
      new String[] {"Oracle Cloud Classic metadata", "192.0.0.192"});

  /** Each IPv4 endpoint in each spelling: the plain address and every IPv6 form embedding it. */
  static Stream<Arguments> everySpelling() {
    List<Arguments> out = new ArrayList<>();
    for (String[] e : V4) {
      byte[] v = ip(e[1]).getAddress();
      out.add(Arguments.of(e[0], "plain", ip(e[1])));
      out.add(Arguments.of(e[0], "IPv4-mapped ::ffff:", v6(new int[] {10, 0xFF, 11, 0xFF}, 12, v)));
      out.add(Arguments.of(e[0], "IPv4-compatible ::", v6(new int[] {}, 12, v)));
      out.add(Arguments.of(e[0], "SIIT ::ffff:0:", v6(new int[] {8, 0xFF, 9, 0xFF}, 12, v)));
      int[] nat64 = {1, 0x64, 2, 0xFF, 3, 0x9B};
      out.add(Arguments.of(e[0], "NAT64 64:ff9b::/96", v6(nat64, 12, v)));
      int[] local = {1, 0x64, 2, 0xFF, 3, 0x9B, 5, 1};
      out.add(Arguments.of(e[0], "local-use NAT64 64:ff9b:1::/96", v6(local, 12, v)));
      out.add(Arguments.of(e[0], "local-use NAT64 64:ff9b:1::/64", v6(local, 9, v)));
      out.add(Arguments.of(e[0], "local-use NAT64 64:ff9b:1::/56",
          v6(new int[] {1, 0x64, 2, 0xFF, 3, 0x9B, 5, 1, 7, v[0] & 0xFF}, 9, new byte[] {v[1], v[2], v[3]})));
      out.add(Arguments.of(e[0], "local-use NAT64 64:ff9b:1::/48", v6(new int[] {1, 0x64, 2, 0xFF, 3, 0x9B, 5, 1,
          6, v[0] & 0xFF, 7, v[1] & 0xFF}, 9, new byte[] {v[2], v[3]})));
      out.add(Arguments.of(e[0], "6to4 2002::/16", v6(new int[] {0, 0x20, 1, 0x02, 15, 1}, 2, v)));
      out.add(Arguments.of(e[0], "Teredo server 2001::/32", v6(new int[] {0, 0x20, 1, 0x01, 15, 1}, 4, v)));
      byte[] inverted = {(byte) ~v[0], (byte) ~v[1], (byte) ~v[2], (byte) ~v[3]};
      out.add(Arguments.of(e[0], "Teredo client 2001::/32", v6(new int[] {0, 0x20, 1, 0x01, 4, 0x41, 5, 0x36},
          12, inverted)));
    }
    for (String v6 : List.of("fd00:ec2::254", "fd00:ec2::23", "fd00:ec2::2", "fd20:ce::254", "fd00:c1::a9fe:a9fe",
        "fe80::a9fe:a9fe", "fe80::1")) {
      out.add(Arguments.of(v6, "IPv6 endpoint", ip(v6)));
    }
    return out.stream();
  }

  @ParameterizedTest(name = "{0}: {1} {2}")
  @MethodSource("everySpelling")
  void isDeniedByDefault(String where, String spelling, InetAddress address) {
    assertThat(POLICY.check(address)).as(where + " " + spelling + " " + address.getHostAddress())
        .isNotNull().contains("default deny");
    assertThat(POLICY.check(address, 80)).isNotNull().contains("default deny");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"metadata.google.internal", "METADATA.google.internal.", "metadata.goog",
      "metadata.tencentyun.com", "api.metadata.cloud.ibm.com", "instance-data.ec2.internal"})
  void metadataNamesAreDeniedWhateverTheyResolveTo(String name) {
    var d = POLICY.decide(name, 80, List.of(ip("192.0.2.10"))); // resolved elsewhere: still denied by name
    assertThat(d).isInstanceOf(DestinationPolicy.Denied.class);
    assertThat(((DestinationPolicy.Denied) d).reason()).contains(name).contains("cloud metadata name");
  }

  /**
   * Decimal, short dotted, hex and octal forms (java.net.URI takes {@code http://2852039166/} as a host name): where
   * the resolver reads them as IPv4, they are checked as that address; else they do not resolve.
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"2852039166", "169.254.43518", "169.16689662", "1684301000", "0xa9fea9fe",
      "0251.0376.0251.0376", "0xa9.0xfe.0xa9.0xfe", "0300.0250.0100.0310"})
  void numericSpellingsAreCheckedAsTheAddressTheyReadAs(String spelling) {
    List<InetAddress> addresses;
    try {
      addresses = List.of(InetAddress.getAllByName(spelling));
    } catch (UnknownHostException e) {
      return; // not read as an address: nothing to connect to
    }
    assertThat(POLICY.decide(spelling, 80, addresses)).as(spelling + " -> " + addresses)
        .isInstanceOf(DestinationPolicy.Denied.class);
  }

  @Test
  void neighboursOfTheSingleAddressesStayAllowed() {
    for (String s : List.of("100.100.100.199", "100.100.100.201", "100.64.0.1", "168.63.129.15", "168.63.129.17",
        "192.0.0.191", "192.0.0.193", "fd00:ec2::253", "fd20:ce::253", "fd00::1", "64:ff9b:1::a01:203",
        "64:ff9b:2::a9fe:a9fe")) {
      assertThat(POLICY.check(ip(s))).as(s).isNull();
    }
  }

  private static InetAddress ip(String literal) {
    try {
      return InetAddress.getByName(literal);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  /** 16 bytes: {@code set} as (index, value) pairs, then {@code v} copied at {@code at}. */
  private static InetAddress v6(int[] set, int at, byte[] v) {
    byte[] b = new byte[16];
    for (int i = 0; i < set.length; i += 2) {
      b[set[i]] = (byte) set[i + 1];
    }
    System.arraycopy(v, 0, b, at, v.length);
    try {
      return InetAddress.getByAddress(b);
    } catch (UnknownHostException e) {
      throw new AssertionError(e);
    }
  }
}
