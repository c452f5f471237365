package dev.nodepulse.tasks.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every refusal in the agent's own words, table-driven: each names the field and the value (a password never),
 * and quotes no library text (cron-utils, java.net.URI, Jackson, Long.parseLong).
 */
class InputErrorsTest {
  /** Phrases of the libraries' own messages; none may reach a user. */
  static final List<String> LIBRARY_TEXT = List.of("Failed to parse", "Invalid chars", "For input string",
      "Illegal character", "Exception", "java.", "com.", "Numeric value", "out of range of", "Expected",
      "Cannot deserialize", "Unrecognized", "Index ", "Missing ");

  static DelayedTask read(String spec) throws TaskValidationException {
    return TaskReader.read("{\"apiVersion\":\"nodepulse.dev/v1alpha1\",\"kind\":\"DelayedTask\","
        + "\"metadata\":{\"name\":\"t\"},\"spec\":" + spec + "}", TaskReader.Format.JSON);
  }

  static String http(String url) {
    return "{\"delay\":\"1s\",\"target\":{\"http\":{\"url\":\"" + url + "\"}}}";
  }

  static String header(String name, String value) {
    return "{\"delay\":\"1s\",\"target\":{\"http\":{\"url\":\"http://h/\",\"headers\":{\"" + name + "\":\"" + value
        + "\"}}}}";
  }

  static String cron(String expr, String zone) {
    return "{\"schedule\":\"" + expr + "\"" + (zone == null ? "" : ",\"timeZone\":\"" + zone + "\"")
        + ",\"target\":{\"compute\":{\"pi\":{\"digits\":5}}}}";
  }

  /** The one error, asserted to name {@code field} and each of {@code shown}, and no library text. */
  static String refused(String spec, String field, String... shown) {
    var thrown = org.assertj.core.api.Assertions.catchThrowableOfType(TaskValidationException.class,
        () -> read(spec));
    assertThat(thrown).as("refused: " + spec).isNotNull();
    assertThat(thrown.errors()).as(spec).hasSize(1);
    FieldError e = thrown.errors().get(0);
    assertThat(e.field()).as(spec).isEqualTo(field);
    for (String s : shown) {
      assertThat(e.message()).as(spec).contains(s);
    }
    for (String library : LIBRARY_TEXT) {
      assertThat(e.message()).as(spec).doesNotContain(library);
    }
    return e.message();
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "http://alice:s3cret@api.shop/warm       | http://***@api.shop/warm",
      "http://alice@api.shop/warm              | http://***@api.shop/warm",
      "https://a:s3cret@[fd00::5]:8443/x?y=1   | https://***@[fd00::5]:8443/x?y=1",
      "http://:s3cret@api.shop                 | http://***@api.shop",
      "http://al ice:s3cret@api.shop/          | http://***@api.shop/"})
  void userInfoInAUrlIsRefusedWithoutThePassword(String url, String shown) {
    String m = refused(http(url), "spec.target.http.url", shown, "header", "Secret");
    assertThat(m).doesNotContain("s3cret").doesNotContain("alice").doesNotContain("ice");
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
      "X-Name  | é€      | '€' (U+20AC)",
      "X-Emoji | ok😀     | '😀' (U+1F600)",
      "X-Quote | “quoted” | '“' (U+201C)"})
  void aHeaderValueOutsideLatin1IsRefusedNamingTheCharacter(String name, String value, String shown) {
    String m = refused(header(name, value), "spec.target.http.headers." + name, shown, "ISO-8859-1");
    assertThat(m).doesNotContain(value); // a header value may be a credential: only the character is shown
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"é", "caf\\u00e9 ÿ", "Bearer abc.def", "tab\\tinside"})
  void latin1HeaderValuesAreAccepted(String value) throws Exception {
    assertThat(((Target.Http) read(header("X-Ok", value)).spec().target()).headers()).containsKey("X-Ok");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "0 0 L * *              | 'L' | day-of-month",
      "1/99999999999 * * * *  | '1/99999999999' | minute",
      "61 * * * *             | '61' | minute",
      "0 25 * * *             | '25' | hour",
      "0 0 * 13 *             | '13' | month",
      "0 0 * * MOO            | 'MOO' | day-of-week",
      "0 0 32 * *             | '32' | day-of-month",
      "99 0 0 * * *           | '99' | second",
      "0 0 0 * * 9            | '9' | day-of-week",
      "*/0 * * * *            | '*/0' | minute",
      "0 0 ? * ?              | '?' | day-of-month"})
  void aCronFieldIsNamedInTheAgentsOwnWords(String expr, String part, String fieldName) {
    refused(cron(expr, null), "spec.schedule", "'" + expr + "'", part, fieldName);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"http://api.shop/a b", "http://api.shop/a|b", "http://api shop/", "http://api.shop/%zz",
      "http://[::1/"})
  void aBadUrlIsDescribedWithoutTheParsersWords(String url) {
    refused(http(url), "spec.target.http.url", "'" + url + "'");
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "{\"delay\":\"1s\",\"retry\":{\"limit\":100000000000000000000},\"target\":{\"compute\":{\"pi\":{\"digits\":5}}}}"
          + "| spec.retry.limit | 100000000000000000000 | 0 to 10",
      "{\"delay\":\"1s\",\"target\":{\"compute\":{\"pi\":{\"digits\":-100000000000000000000}}}}"
          + "| spec.target.compute.pi.digits | -100000000000000000000 | 1 to 1000000",
      "{\"delay\":\"1s\",\"target\":{\"http\":{\"url\":\"http://h/\",\"maxRedirects\":99999999999999999999999}}}"
          + "| spec.target.http.maxRedirects | 99999999999999999999999 | 0 to 10"})
  void aNumberBeyondLongNamesTheValueAndTheRange(String spec, String field, String value, String range) {
    refused(spec, field, value, range);
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"{\"\":[]}", "{\"\":{}}", "{\"http\":{\"url\":\"http://h/\"},\"\":[]}"})
  void anEmptyTargetKeyIsRefused(String target) {
    refused("{\"delay\":\"1s\",\"target\":" + target + "}", "spec.target.''", "unknown field", "http, tcp, pipe, compute");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"UTC+5", "GMT+14", "+05:00", "Z", "SystemV/EST5", "UT+1", "UTC-03:30", "-10", "GMT0+1",
      "europe/paris", "Mars/Olympus"})
  void aTimeZoneThatIsNotAnIanaNameIsRefused(String zone) {
    refused(cron("0 0 * * *", zone), "spec.timeZone", "'" + zone + "'", "IANA");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"UTC", "Etc/UTC", "Etc/GMT+5", "Europe/Paris", "America/Argentina/Buenos_Aires", "GMT"})
  void ianaTimeZonesAreAccepted(String zone) throws Exception {
    assertThat(((Schedule.Cron) read(cron("0 0 * * *", zone)).spec().timing()).zone()).isEqualTo(ZoneId.of(zone));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"0 0 * * *", "*/5 * * * MON-FRI", "0 30 2 * * ?", "0 0 0 L * ?", "0 0 1,15 * *"})
  void validCronExpressionsStillRead(String expr) throws Exception {
    assertThat(read(cron(expr, null)).spec().timing()).isInstanceOf(Schedule.Cron.class);
  }

  /** Lengths count characters, as the API server's maxLength does (the CRD uses the same {@link Limits}). */
  @org.junit.jupiter.api.Test
  void dataLimitsCountCharactersAsTheApiServerDoes() throws Exception {
    String euros = "€".repeat(Limits.DATA); // 192 KiB of UTF-8: within the bound, which counts characters
    String spec = "{\"delay\":\"1s\",\"target\":{\"tcp\":{\"address\":\"h:1\",\"payload\":\"%s\"}}}";
    assertThat(((Target.Tcp) read(spec.formatted(euros)).spec().target()).payload()).isEqualTo(euros);
    refused(spec.formatted(euros + "€"), "spec.target.tcp.payload", "at most " + Limits.DATA + " characters");
  }
}
