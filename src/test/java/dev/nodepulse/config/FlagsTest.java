package dev.nodepulse.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FlagsTest {
  @TempDir Path tmp;

  private Config parse(Map<String, String> env, String... args) {
    return Flags.parse(args, env);
  }

  @Test
  void defaultsFollowDesign() {
    Config c = parse(Map.of());
    assertThat(c.httpHost()).isEqualTo("127.0.0.1");
    assertThat(c.httpPort()).isEqualTo(8080);
    assertThat(c.metricsPort()).isNull();
    assertThat(c.metricsAuth()).isEqualTo(Config.MetricsAuth.NONE);
    assertThat(c.sampleInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.history()).isEqualTo(Duration.ofHours(1));
    assertThat(c.mode()).isEqualTo(Config.Mode.STANDALONE);
    assertThat(c.procfs()).isEqualTo(Path.of("/proc"));
    assertThat(c.namespaces()).isEmpty();
    assertThat(c.pipeDir()).isEqualTo(c.dataDir().resolve("pipes"));
  }

  /** Each field is given by name, the name of its flag: none can take another's value by its position. */
  @Test
  void everyConfigFieldIsBuiltByTheNameOfItsFlag() throws Exception {
    String usage = Flags.usage();
    Config c = parse(Map.of(), "--http-port", "9100", "--max-pi-digits", "20");
    Map<String, Object> byName = new LinkedHashMap<>();
    for (RecordComponent rc : Config.class.getRecordComponents()) {
      String flag = rc.getName().replaceAll("([A-Z])", "-$1").toLowerCase(Locale.ROOT);
      if (!Set.of("namespaces", "pod-ip").contains(flag)) {
        assertThat(usage).as("the flag of Config." + rc.getName()).contains("--" + flag + " ");
      }
      byName.put(rc.getName(), rc.getAccessor().invoke(c));
    }
    assertThat(Config.byName(byName)).isEqualTo(c);
    assertThat(c.httpPort()).isEqualTo(9100);
    assertThat(c.maxPiDigits()).isEqualTo(20);

    Map<String, Object> missing = new LinkedHashMap<>(byName);
    missing.remove("httpPort");
    assertThatThrownBy(() -> Config.byName(missing)).hasMessage("no value for Config.httpPort");
    Map<String, Object> misspelt = new LinkedHashMap<>(byName);
    misspelt.put("httpPrt", 1);
    assertThatThrownBy(() -> Config.byName(misspelt)).hasMessage("not in Config: [httpPrt]");
  }

  @Test
  void samplerIsProcfsOnLinuxUnlessOshiIsAsked() {
    assertThat(parse(Map.of()).sampler()).as("auto on Linux").isEqualTo(Config.Sampler.PROCFS);
    assertThat(parse(Map.of(), "--sampler", "oshi").sampler()).isEqualTo(Config.Sampler.OSHI);
    assertThat(parse(Map.of("NODEPULSE_SAMPLER", "OSHI")).sampler()).isEqualTo(Config.Sampler.OSHI);
    assertThat(parse(Map.of("NODEPULSE_SAMPLER", "oshi"), "--sampler", "procfs").sampler()).isEqualTo(Config.Sampler.PROCFS);
    assertThatThrownBy(() -> parse(Map.of(), "--sampler", "psutil")).isInstanceOf(Flags.BadOption.class)
        .hasMessage("--sampler (NODEPULSE_SAMPLER): 'psutil' is not one of auto, procfs, oshi");
    // OSHI on Linux reads a given procfs: it is checked as for the procfs sampler
    assertThatThrownBy(() -> parse(Map.of(), "--sampler", "oshi", "--procfs", tmp.toString()))
        .isInstanceOf(Flags.BadOption.class).hasMessageContaining("--procfs").hasMessageContaining("no readable stat");
  }

  @Test
  void flagWinsOverEnvironmentWhichWinsOverDefault() {
    Map<String, String> env = Map.of("NODEPULSE_HTTP_PORT", "9000", "NODEPULSE_HISTORY", "30m");
    assertThat(parse(env).httpPort()).isEqualTo(9000);
    assertThat(parse(env).history()).isEqualTo(Duration.ofMinutes(30));
    assertThat(parse(env, "--http-port", "9001").httpPort()).isEqualTo(9001);
    assertThat(parse(env, "--http-port=9002").httpPort()).isEqualTo(9002);
  }

  @Test
  void kubernetesModeIsAutomaticInsideAPod() {
    assertThat(parse(Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1")).mode()).isEqualTo(Config.Mode.KUBERNETES);
    assertThat(parse(Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1"), "--mode", "standalone").mode())
        .isEqualTo(Config.Mode.STANDALONE);
  }

  @Test
  void nodeNameComesFromFlagThenNodeNameThenHost() {
    assertThat(parse(Map.of("NODE_NAME", "n1")).nodeName()).isEqualTo("n1");
    assertThat(parse(Map.of("NODE_NAME", "n1"), "--node-name", "n2").nodeName()).isEqualTo("n2");
    assertThat(parse(Map.of()).nodeName()).isNotBlank();
  }

  @Test
  void podIpComesFromPodIpOrIsLoopbackAndMustBeAnAddress() {
    assertThat(parse(Map.of("POD_IP", "10.244.1.7")).podIp()).isEqualTo("10.244.1.7");
    assertThat(parse(Map.of("POD_IP", "fd00::7")).podIp()).isEqualTo("fd00::7");
    assertThat(parse(Map.of()).podIp()).isEqualTo("127.0.0.1");
    assertThatThrownBy(() -> parse(Map.of("POD_IP", "peer.example"))).isInstanceOf(Flags.BadOption.class)
        .hasMessageContaining("POD_IP").hasMessageContaining("'peer.example' is not an IP address");
    assertThatThrownBy(() -> parse(Map.of("POD_IP", "10.0.0.256"))).isInstanceOf(Flags.BadOption.class)
        .hasMessageContaining("POD_IP");
  }

  @Test
  void listsAndPaths() {
    Config c = parse(Map.of(), "--namespace", "shop, ops", "--destination-deny", "10.0.0.0/8",
        "--tasks-dir", tmp.toString(), "--pipe-dir", tmp.resolve("p").toString());
    assertThat(c.namespaces()).containsExactly("shop", "ops");
    assertThat(c.destinationDeny()).containsExactly("10.0.0.0/8");
    assertThat(c.tasksDir()).isEqualTo(tmp);
    assertThat(c.pipeDir()).isEqualTo(tmp.resolve("p"));
  }

  @Test
  void badValuesNameTheOptionAndWhatItAccepts() {
    assertThatThrownBy(() -> parse(Map.of(), "--http-port", "70000"))
        .isInstanceOf(Flags.BadOption.class).hasMessageContaining("--http-port").hasMessageContaining("0 to 65535");
    assertThatThrownBy(() -> parse(Map.of("NODEPULSE_SAMPLE_INTERVAL", "fast")))
        .hasMessageContaining("--sample-interval (NODEPULSE_SAMPLE_INTERVAL)").hasMessageContaining("500ms");
    assertThatThrownBy(() -> parse(Map.of(), "--sample-interval", "10ms")).hasMessageContaining("100ms to 1m");
    assertThatThrownBy(() -> parse(Map.of(), "--mode", "cluster"))
        .hasMessageContaining("--mode").hasMessageContaining("standalone, kubernetes");
    assertThatThrownBy(() -> parse(Map.of(), "--metrics-auth", "basic")).hasMessageContaining("none, kubernetes");
    assertThatThrownBy(() -> parse(Map.of(), "--procfs", tmp.toString()))
        .hasMessageContaining("--procfs").hasMessageContaining("no readable stat");
    assertThatThrownBy(() -> parse(Map.of(), "--tasks-dir", tmp.resolve("missing").toString()))
        .hasMessageContaining("--tasks-dir").hasMessageContaining("not an existing directory");
    assertThatThrownBy(() -> parse(Map.of(), "--no-such")).hasMessageContaining("unknown option --no-such");
    assertThatThrownBy(() -> parse(Map.of(), "--http-port")).hasMessageContaining("--http-port needs a value");
    assertThatThrownBy(() -> parse(Map.of(), "stray")).hasMessageContaining("unexpected argument 'stray'");
    assertThatThrownBy(() -> parse(Map.of(), "--log-level", "loud")).hasMessageContaining("--log-level");
  }

  @Test
  void helpListsEveryOptionWithItsVariable() {
    assertThatThrownBy(() -> parse(Map.of(), "--help")).isInstanceOf(Flags.Info.class)
        .hasMessageContaining("--metrics-port").hasMessageContaining("NODEPULSE_METRICS_PORT")
        .hasMessageContaining("--pipe-dir").hasMessageContaining("NODEPULSE_TASKS_DIR");
  }
}
