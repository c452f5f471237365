package dev.nodepulse.util;

import java.util.Locale;

/** The media type of a Content-Type header value. */
public final class MediaType {
  private MediaType() {}

  /**
   * The type and subtype of {@code contentType}, lowercase, without parameters ({@code "Application/JSON;
   * charset=utf-8"} → {@code "application/json"}); "" for a missing header.
   */
  public static String of(String contentType) {
    return contentType == null ? "" : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
  }
}
