package dev.nodepulse.tasks.target;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** IPv6 forms that embed a denied IPv4 address, and the node's own listeners and kubelet ports. */
class EmbeddedAndOwnDestinationsTest {

  private static InetAddress ip(String literal) throws Exception {
    return InetAddress.getByName(literal);
  }

  @Test
  void everyIpv6FormOfADeniedIpv4AddressIsDenied() throws Exception {
    DestinationPolicy policy = new DestinationPolicy(List.of(), List.of("10.1.2.0/24"));

    // 169.254.169.254 (the metadata address) is a9fe:a9fe; 10.1.2.3 is 0a01:0203
    for (String form : List.of(
        "::ffff:169.254.169.254",           // IPv4-mapped (Java reads it as IPv4)
        "::169.254.169.254",                // IPv4-compatible
        "::ffff:0:169.254.169.254",         // SIIT translated
        "64:ff9b::169.254.169.254",         // NAT64 well-known prefix
        "2002:a9fe:a9fe::1",                // 6to4
        "2002:a9fe:a9fe:1:2:3:4:5",
        "2001:0:a9fe:a9fe::1",              // Teredo server
        "2001:0:4136:e378:8000:63bf:5601:5601")) { // Teredo client 169.254.169.254, stored inverted
      assertThat(policy.check(ip(form))).as(form).isNotNull().contains("169.254.0.0/16");
    }
    for (String form : List.of("::10.1.2.3", "64:ff9b::a01:203", "2002:a01:203::", "2001:0:0:0:0:0:f5fe:fdfc")) {
      assertThat(policy.check(ip(form))).as(form).isNotNull().contains("--destination-deny 10.1.2.0/24")
          .contains("it embeds 10.1.2.3");
    }
  }

  @Test
  void ipv6FormsOfAllowedIpv4AddressesStayAllowed() throws Exception {
    DestinationPolicy policy = new DestinationPolicy(List.of(), List.of("10.1.2.0/24"));

    for (String form : List.of("::ffff:192.0.2.1", "::192.0.2.1", "64:ff9b::192.0.2.1", "2002:c000:201::1",
        "2001:0:c000:201::1", "2001:db8::a9fe:a9fe", "64:ff9c::a9fe:a9fe")) {
      assertThat(policy.check(ip(form))).as(form).isNull();
    }
  }

  @Test
  void theAgentsOwnPortsAreDeniedOnEveryLoopbackAndWildcardForm() throws Exception {
    DestinationPolicy policy = new DestinationPolicy(List.of(), List.of());
    policy.listeners(new DestinationPolicy.Self(Set.of(18080, 19101), "no-such-node.invalid"));

    for (String form : List.of("127.0.0.1", "127.0.0.2", "127.255.255.254", "::1", "::ffff:127.0.0.1",
        "::127.0.0.1", "64:ff9b::127.0.0.1", "2002:7f00:1::", "0.0.0.0", "::")) {
      assertThat(policy.check(ip(form), 18080)).as(form).isNotNull().contains("the agent's own listener");
      assertThat(policy.check(ip(form), 19101)).as(form).isNotNull().contains("the agent's own listener");
      assertThat(policy.check(ip(form), 18081)).as(form).isNull();
    }
    assertThat(policy.check(ip("192.0.2.1"), 18080)).as("another machine's port 18080").isNull();
  }

  @Test
  void theKubeletPortsAreDeniedOnTheNodesOwnAddresses() throws Exception {
    DestinationPolicy policy = new DestinationPolicy(List.of(), List.of());

    for (int port : new int[] {10250, 10255}) {
      assertThat(policy.check(ip("127.0.0.1"), port)).contains("the node's kubelet");
      assertThat(policy.check(ip("::1"), port)).contains("the node's kubelet");
      assertThat(policy.check(ip("192.0.2.1"), port)).as("another node's kubelet").isNull();
    }
    InetAddress own = NetworkInterface.networkInterfaces()
        .flatMap(NetworkInterface::inetAddresses)
        .filter(a -> a instanceof Inet4Address && !a.isLoopbackAddress())
        .findFirst().orElse(null);
    if (own != null) {
      assertThat(policy.check(own, 10250)).as(own.toString()).contains("the node's kubelet");
    }
  }

  @Test
  void aSingleAddressAllowEntryReopensTheOwnListenerButARangeDoesNot() throws Exception {
    DestinationPolicy exact = new DestinationPolicy(List.of("127.0.0.1", "::1/128"), List.of());
    DestinationPolicy range = new DestinationPolicy(List.of("127.0.0.0/8"), List.of());
    for (DestinationPolicy p : List.of(exact, range)) {
      p.listeners(new DestinationPolicy.Self(Set.of(18080), null));
    }

    assertThat(exact.check(ip("127.0.0.1"), 18080)).isNull();
    assertThat(exact.check(ip("::1"), 10250)).isNull();
    assertThat(range.check(ip("127.0.0.1"), 18080)).contains("the agent's own listener");
  }
}
