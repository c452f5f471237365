package dev.nodepulse.web;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/** Test helper: one HTTP/1.1 exchange on a fresh socket with exactly the headers given (Host included). */
final class RawHttp {
  record Reply(int status, String headers, String body) {}

  private RawHttp() {}

  static Reply exchange(int port, String head, byte[] body) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(20_000);
      String request = head + (body == null ? "" : "Content-Length: " + body.length + "\r\n")
          + "Connection: close\r\n\r\n";
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      if (body != null) {
        s.getOutputStream().write(body);
      }
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      in.transferTo(all);
      String text = all.toString(StandardCharsets.UTF_8);
      int end = text.indexOf("\r\n\r\n");
      if (end < 0) {
        throw new IOException("no complete reply: '" + text + "'");
      }
      return new Reply(Integer.parseInt(text.substring(9, 12)), text.substring(0, end), text.substring(end + 4));
    }
  }

  static Reply get(int port, String host, String path) throws IOException {
    return exchange(port, "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n", null);
  }
}
