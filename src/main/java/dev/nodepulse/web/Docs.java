package dev.nodepulse.web;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;

/** /openapi.yaml (the API description) and /docs (Swagger UI from its WebJar, pointed at it). */
final class Docs {
  /** The swagger-ui WebJar version in the pom; its files are served from the jar, no CDN. */
  static final String SWAGGER_UI = "META-INF/resources/webjars/swagger-ui/5.18.2";

  private static final String PAGE = """
      <!doctype html>
      <html lang="en">
      <head>
        <meta charset="utf-8">
        <title>nodepulse API</title>
        <link rel="stylesheet" href="/docs/ui/swagger-ui.css">
      </head>
      <body>
        <div id="swagger-ui"></div>
        <script src="/docs/ui/swagger-ui-bundle.js"></script>
        <script src="/docs/init.js"></script>
      </body>
      </html>
      """;
  private static final String INIT = """
      window.ui = SwaggerUIBundle({url: "/openapi.yaml", dom_id: "#swagger-ui", deepLinking: true});
      """;

  private Docs() {}

  /** Loads the description from the classpath, then mounts the routes. */
  static Future<Void> mount(Vertx vertx, Router router) {
    return vertx.fileSystem().readFile("openapi.yaml").map(yaml -> {
      mount(router, yaml);
      return null;
    });
  }

  private static void mount(Router router, Buffer yaml) {
    router.get("/openapi.yaml").handler(ctx -> ctx.response().putHeader("content-type", "application/yaml").end(yaml));
    // "/docs" also matches "/docs/"; the page uses absolute URLs, so both work
    router.get("/docs").handler(ctx -> ctx.response().putHeader("content-type", "text/html; charset=utf-8").end(PAGE));
    router.get("/docs/init.js").handler(ctx -> ctx.response().putHeader("content-type", "text/javascript").end(INIT));
    router.get("/docs/ui/*").handler(StaticHandler.create(SWAGGER_UI).setCachingEnabled(true));
  }
}
