package dev.nodepulse.kube.wire;

import io.fabric8.kubernetes.client.KubernetesClientException;
import java.net.HttpURLConnection;
import java.util.function.Supplier;

/**
 * Optimistic writes: a write conditional on the resource version it read is tried again, from a fresh read,
 * while the API server answers 409 Conflict (another writer was first). Blocking, as the writes are.
 */
public final class Conflicts {
  private Conflicts() {}

  /** One attempt: reads (fresh when {@code attempt > 0}) and writes; a 409 it throws means "read again". */
  public interface Attempt<T> {
    T run(int attempt);
  }

  /**
   * Runs {@code attempt} for 0, 1, … until one ends without a 409, at most {@code attempts} times; then
   * {@code exhausted}. Any other failure is thrown as it came.
   */
  public static <T> T retry(int attempts, Attempt<T> attempt, Supplier<T> exhausted) {
    for (int i = 0; i < attempts; i++) {
      try {
        return attempt.run(i);
      } catch (KubernetesClientException e) {
        if (!conflict(e)) {
          throw e;
        }
      }
    }
    return exhausted.get();
  }

  /** Whether {@code e} is the API server's 409 Conflict. */
  public static boolean conflict(KubernetesClientException e) {
    return e.getCode() == HttpURLConnection.HTTP_CONFLICT;
  }
}
