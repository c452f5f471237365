package dev.nodepulse.kube.wire;

import io.fabric8.kubernetes.api.model.AuthInfo;
import io.fabric8.kubernetes.api.model.NamedAuthInfo;
import io.fabric8.kubernetes.api.model.NamedContext;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.OAuthTokenProvider;
import io.fabric8.kubernetes.client.internal.KubeConfigUtils;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The kubeconfig user's credentials as kubectl takes them. The client applies {@code token}, client certificates
 * ({@code client-certificate[-data]}, {@code client-key[-data]}), {@code username}/{@code password}, {@code exec}
 * plugins and the {@code oidc} auth provider itself; this class adds what it skips: {@code tokenFile} (read again
 * each minute, as kubectl does, so a rotated token is taken) and impersonation ({@code as}, {@code as-groups},
 * {@code as-user-extra}). Anything else in the user entry ({@code as-uid}, another auth provider, a field of a
 * newer kubectl) makes the agent refuse to start, naming it, rather than run with credentials it did not send.
 */
public final class KubeCredentials {
  /** How long a token read from a file is used before the file is read again (kubectl: one minute). */
  public static final Duration TOKEN_FILE_REREAD = Duration.ofMinutes(1);

  private KubeCredentials() {}

  /**
   * Completes {@code config} from the current context's user of the kubeconfig it was read from (nothing to do in a
   * pod, where the ServiceAccount's token file is used). Throws IllegalArgumentException naming the kubeconfig, the
   * user and what is not supported or cannot be read.
   */
  public static void complete(Config config) {
    NamedContext context = config.getCurrentContext();
    if (context == null || context.getContext() == null || context.getContext().getUser() == null) {
      return;
    }
    String userName = context.getContext().getUser();
    File file = KubeConfigUtils.getFileWithNamedAuthInfo(context);
    if (file == null) {
      return;
    }
    AuthInfo user = null;
    for (NamedAuthInfo u : listOrEmpty(KubeConfigUtils.parseConfig(file).getUsers())) {
      if (userName.equals(u.getName())) {
        user = u.getUser();
      }
    }
    if (user == null) {
      return; // the client reports a context without its user itself
    }
    String where = "kubeconfig " + file + ", user " + userName;
    List<String> unsupported = new ArrayList<>(user.getAdditionalProperties().keySet());
    if (user.getAsUid() != null) {
      unsupported.add("as-uid");
    }
    if (user.getAuthProvider() != null && !"oidc".equals(user.getAuthProvider().getName())) {
      unsupported.add("auth-provider " + user.getAuthProvider().getName() + " (use an exec plugin)");
    }
    if (!unsupported.isEmpty()) {
      throw new IllegalArgumentException(where + ": not supported: " + String.join(", ", unsupported)
          + " (supported: token, tokenFile, client-certificate[-data], client-key[-data], username/password, exec, "
          + "auth-provider oidc, as, as-groups, as-user-extra)");
    }
    if (user.getTokenFile() != null && (user.getToken() == null || user.getToken().isEmpty())) {
      Path tokenFile = file.toPath().toAbsolutePath().getParent().resolve(user.getTokenFile());
      TokenFile provider = new TokenFile(tokenFile, Clock.systemUTC());
      String problem = provider.problem();
      if (problem != null) {
        throw new IllegalArgumentException(where + ": tokenFile " + tokenFile + " " + problem);
      }
      config.setOauthTokenProvider(provider);
    }
    if (user.getAs() != null) {
      config.setImpersonateUsername(user.getAs());
    }
    if (user.getAsGroups() != null && !user.getAsGroups().isEmpty()) {
      config.setImpersonateGroups(user.getAsGroups().toArray(String[]::new));
    }
    if (user.getAsUserExtra() != null && !user.getAsUserExtra().isEmpty()) {
      config.setImpersonateExtras(user.getAsUserExtra());
    }
  }

  private static <T> List<T> listOrEmpty(List<T> list) {
    return list == null ? List.of() : list;
  }

  /** A bearer token read from a file, read again when older than {@link #TOKEN_FILE_REREAD}. */
  public static final class TokenFile implements OAuthTokenProvider {
    private final Path path;
    private final Clock clock;
    private String token;
    private Instant readAt;

    public TokenFile(Path path, Clock clock) {
      this.path = path;
      this.clock = clock;
    }

    /** Why the file gives no token now ("cannot be read", "is empty"), or null. */
    String problem() {
      try {
        return read().isEmpty() ? "is empty" : null;
      } catch (IOException e) {
        return e instanceof java.nio.file.NoSuchFileException ? "does not exist"
            : e instanceof java.nio.file.AccessDeniedException ? "cannot be read (permission denied)"
            : "cannot be read";
      }
    }

    private String read() throws IOException {
      return Files.readString(path, StandardCharsets.UTF_8).strip();
    }

    @Override
    public synchronized String getToken() {
      Instant now = clock.instant();
      if (token == null || readAt.plus(TOKEN_FILE_REREAD).isBefore(now)) {
        try {
          String fresh = read();
          if (!fresh.isEmpty()) {
            token = fresh;
          }
        } catch (IOException e) {
          // keep the last token: the API server's 401 tells if it no longer holds
        }
        readAt = now;
      }
      return token;
    }
  }
}
