package dev.nodepulse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The listeners' defence flags: defaults, environment variables, and errors naming the flag. */
class ListenerFlagsTest {
  @TempDir Path tmp;

  @Test
  void defaultsAreSane() {
    Config c = Config.forTest(tmp);
    assertThat(c.httpIdleTimeout()).isEqualTo(Duration.ofSeconds(60));
    assertThat(c.httpHeaderTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.httpMaxConnections()).isEqualTo(512);
    assertThat(c.allowedHosts()).isEmpty();
    assertThat(c.apiTokenFile()).isNull();
  }

  @Test
  void flagsAndEnvironmentAreRead() throws Exception {
    Path token = Files.writeString(tmp.resolve("token"), "t");
    Config c = Flags.parse(new String[] {"--data-dir", tmp.toString(), "--allowed-hosts", "a.example, b.example",
        "--api-token-file", token.toString()}, Map.of("NODEPULSE_HTTP_MAX_CONNECTIONS", "64",
        "NODEPULSE_HTTP_HEADER_TIMEOUT", "3s"));
    assertThat(c.allowedHosts()).isEqualTo(List.of("a.example", "b.example"));
    assertThat(c.apiTokenFile()).isEqualTo(token);
    assertThat(c.httpMaxConnections()).isEqualTo(64);
    assertThat(c.httpHeaderTimeout()).isEqualTo(Duration.ofSeconds(3));
  }

  @Test
  void badValuesNameTheFlag() {
    for (String[] bad : List.of(
        new String[] {"--api-token-file", tmp.resolve("missing").toString()},
        new String[] {"--http-max-connections", "3"},
        new String[] {"--http-header-timeout", "0s"},
        new String[] {"--http-idle-timeout", "forever"},
        new String[] {"--allowed-hosts", "evil/path"})) {
      assertThatThrownBy(() -> Config.forTest(tmp, bad)).as(bad[0]).isInstanceOf(Flags.BadOption.class)
          .hasMessageContaining(bad[0]);
    }
  }
}
