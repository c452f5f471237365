package dev.nodepulse.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class UtilTest {
  @Test
  void sha256HexIsTheStandardDigest() {
    assertThat(Sha256.hex("abc")).isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(Sha256.hex("abc", 4)).isEqualTo("ba7816bf");
    assertThat(Sha256.of("abc")).hasSize(32);
  }

  @Test
  void mediaTypeDropsParametersAndCase() {
    assertThat(MediaType.of(" Application/JSON ; charset=utf-8")).isEqualTo("application/json");
    assertThat(MediaType.of("text/yaml")).isEqualTo("text/yaml");
    assertThat(MediaType.of(null)).isEmpty();
  }

  @Test
  void diskFullByCodeByMessageAndByEnospc() {
    assertThat(StorageErrors.diskFull(new SQLException("x", null, 13))).isTrue();
    assertThat(StorageErrors.diskFull(new SQLException("x", null, 13 | 0x100))).isTrue(); // an extended code
    assertThat(StorageErrors.diskFull(new SQLException("[SQLITE_FULL] database or disk is full"))).isTrue();
    assertThat(StorageErrors.diskFull(new RuntimeException(new IOException("/x: No space left on device")))).isTrue();
    assertThat(StorageErrors.diskFull(new SQLException("x", null, 5))).isFalse();
    assertThat(StorageErrors.locked(new SQLException("x", null, 5))).isTrue();
    assertThat(StorageErrors.locked(new SQLException("[SQLITE_BUSY] database is locked"))).isTrue();
    assertThat(StorageErrors.locked(new SQLException("x", null, 13))).isFalse();
  }
}
