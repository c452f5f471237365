package dev.nodepulse.kube.rules;

import dev.nodepulse.util.Sha256;
import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Rendezvous (highest random weight) hashing: every agent ranks the same nodes the same way for one run, keyed by
 * the task's identity and its due time, with no talk between agents. When a node leaves, only the runs it ranked
 * first move, each to its own next node, so the load stays spread.
 */
public final class Rendezvous {
  private Rendezvous() {}

  /** The key of one run: the task ({@code namespace/name}) and its due time. */
  public static String runKey(String taskKey, Instant dueAt) {
    return taskKey + "@" + dueAt.toEpochMilli();
  }

  /** The nodes ranked for {@code key}, best first (ties, which need a hash collision, by name). */
  public static List<String> rank(String key, Collection<String> nodes) {
    return nodes.stream().distinct()
        .sorted(Comparator.comparingLong((String n) -> weight(key, n)).reversed().thenComparing(n -> n))
        .toList();
  }

  /** The node ranked first for {@code key} among {@code nodes}, if any. */
  public static Optional<String> candidate(String key, Collection<String> nodes) {
    return rank(key, nodes).stream().findFirst();
  }

  /** A node's weight for a key: the first 8 bytes of SHA-256(node, NUL, key), as an unsigned-order long. */
  public static long weight(String key, String node) {
    byte[] h = Sha256.of(node + '\0' + key);
    long w = 0;
    for (int i = 0; i < 8; i++) {
      w = (w << 8) | (h[i] & 0xff);
    }
    return w ^ Long.MIN_VALUE; // signed comparison of the flipped value is unsigned order
  }
}
