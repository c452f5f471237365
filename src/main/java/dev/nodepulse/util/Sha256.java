package dev.nodepulse.util;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of a string's UTF-8 bytes, as bytes or as lowercase hex. */
public final class Sha256 {
  private Sha256() {}

  /** The 32 bytes of SHA-256(UTF-8 of {@code s}). */
  public static byte[] of(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  /** The whole digest of {@code s} in lowercase hex (64 characters). */
  public static String hex(String s) {
    return HexFormat.of().formatHex(of(s));
  }

  /** The first {@code bytes} bytes of the digest of {@code s} in lowercase hex (2 × bytes characters). */
  public static String hex(String s, int bytes) {
    return HexFormat.of().formatHex(of(s), 0, bytes);
  }
}
