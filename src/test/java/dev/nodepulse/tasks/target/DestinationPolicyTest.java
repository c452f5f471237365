package dev.nodepulse.tasks.target;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.nodepulse.config.Config;
import dev.nodepulse.tasks.target.DestinationPolicy.Allowed;
import dev.nodepulse.tasks.target.DestinationPolicy.Denied;
import io.vertx.core.Vertx;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DestinationPolicyTest {
  @TempDir Path dir;

  private static InetAddress ip(String literal) throws Exception {
    return InetAddress.getByName(literal);
  }

  @Test
  void linkLocalAndMetadataAreDeniedByDefault() throws Exception {
    DestinationPolicy policy = new DestinationPolicy(List.of(), List.of());

    assertThat(policy.check(ip("169.254.169.254"))).contains("169.254.0.0/16");
    assertThat(policy.check(ip("169.254.0.1"))).isNotNull();
    assertThat(policy.check(ip("fe80::1"))).contains("fe80::/10");
    assertThat(policy.check(ip("febf::1"))).contains("fe80::/10");
    assertThat(policy.check(ip("fd00:ec2::254"))).contains("fd00:ec2::254/128");
    assertThat(policy.check(ip("::ffff:169.254.169.254"))).contains("169.254.0.0/16");
    assertThat(policy.check(ip("169.255.0.1"))).isNull();
    assertThat(policy.check(ip("fec0::1"))).isNull();
    assertThat(policy.check(ip("fd00:ec2::253"))).isNull();
    assertThat(policy.check(ip("127.0.0.1"))).isNull();
  }

  @Test
  void everyResolvedAddressIsChecked() throws Exception {
    DestinationPolicy policy = new DestinationPolicy(List.of(), List.of("10.1.2.0/24"));

    assertThat(policy.decide("db.example", List.of(ip("192.0.2.1"), ip("10.1.2.3"))))
        .isEqualTo(new Denied("destination 10.1.2.3 is denied by --destination-deny 10.1.2.0/24"
            + " (db.example resolves to it)"));
    assertThat(policy.decide("web.example", List.of(ip("192.0.2.1"), ip("10.1.3.3"))))
        .isEqualTo(new Allowed(ip("192.0.2.1")));
  }

  @Test
  void allowListAndIpv6Ranges() throws Exception {
    DestinationPolicy policy = new DestinationPolicy(List.of("10.0.0.0/8", "2001:db8::/32"), List.of("10.9.0.0/16"));

    assertThat(policy.check(ip("10.1.1.1"))).isNull();
    assertThat(policy.check(ip("2001:db8:1::1"))).isNull();
    assertThat(policy.check(ip("2001:db9::1"))).contains("not in --destination-allow 10.0.0.0/8,2001:db8::/32");
    assertThat(policy.check(ip("10.9.1.1"))).contains("--destination-deny 10.9.0.0/16");
    assertThat(policy.check(ip("169.254.169.254"))).contains("169.254.0.0/16");
  }

  @Test
  void oddPrefixesMatchBitByBit() throws Exception {
    DestinationPolicy policy = new DestinationPolicy(List.of(), List.of("192.168.4.0/22", "203.0.113.7"));

    assertThat(policy.check(ip("192.168.7.255"))).isNotNull();
    assertThat(policy.check(ip("192.168.8.0"))).isNull();
    assertThat(policy.check(ip("192.168.3.255"))).isNull();
    assertThat(policy.check(ip("203.0.113.7"))).contains("203.0.113.7");
    assertThat(policy.check(ip("203.0.113.8"))).isNull();
  }

  @Test
  void aBadCidrStopsTheTargetsNamingTheFlagAndValue() {
    try (var closer = new VertxCloser()) {
      for (String bad : List.of("10.0.0.0/33", "300.1.1.1/8", "example.com/8", "fe80::/129", "10.0.0.0/x")) {
        assertThatThrownBy(() -> new Targets(closer.vertx, Config.forTest(dir, "--destination-deny", bad)))
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("--destination-deny")
            .hasMessageContaining("'" + bad + "'");
      }
      assertThatThrownBy(() -> new Targets(closer.vertx, Config.forTest(dir, "--destination-allow", "10.0.0.0/8,nope")))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("--destination-allow")
          .hasMessageContaining("'nope'");
    }
  }

  /** A Vert.x instance closed at the end of a try block. */
  private static final class VertxCloser implements AutoCloseable {
    final Vertx vertx = Vertx.vertx();

    @Override
    public void close() {
      Run.await(vertx.close());
    }
  }
}
