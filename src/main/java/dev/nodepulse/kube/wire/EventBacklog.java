package dev.nodepulse.kube.wire;

import io.fabric8.kubernetes.api.model.ObjectReference;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Events an agent could not write while the API server was away, kept to be written once it is back. They are
 * kept as the Events API keeps repeats: one per object and reason, with a count and the first and last times
 * (what {@code kubectl describe} shows as "x12 over 30s"), so a long outage costs one Event per task and reason,
 * not one per run. Bounded: at most {@link #MAX_KEYS} objects and reasons; what comes beyond is counted as dropped.
 * Thread-safe (Events are written from worker threads).
 */
public final class EventBacklog {
  public static final int MAX_KEYS = 1000;

  /** One object's Events of one reason since the outage began. */
  public record Pending(ObjectReference about, String type, String reason, Instant first, Instant last, int count,
      String firstMessage, String lastMessage) {
    Pending plus(Instant at, String message) {
      return new Pending(about, type, reason, first, at, count + 1, firstMessage, message);
    }

    /** The message of the one Event written for them all. */
    public String message() {
      if (count == 1) {
        return lastMessage;
      }
      return count + " while the API server could not be reached, from " + first + " to " + last + "; the first: "
          + firstMessage + "; the last: " + lastMessage;
    }
  }

  private final Map<String, Pending> pending = new LinkedHashMap<>();
  private long dropped;

  public synchronized void add(ObjectReference about, String type, String reason, Instant at, String message) {
    String key = about.getNamespace() + "/" + about.getName() + "/" + about.getUid() + "/" + type + "/" + reason;
    Pending p = pending.get(key);
    if (p != null) {
      pending.put(key, p.plus(at, message));
    } else if (pending.size() < MAX_KEYS) {
      pending.put(key, new Pending(about, type, reason, at, at, 1, message, message));
    } else {
      dropped++;
    }
  }

  public synchronized boolean isEmpty() {
    return pending.isEmpty();
  }

  /** Takes up to {@code max} of the kept Events, oldest first; the rest stay for the next call. */
  public synchronized List<Pending> take(int max) {
    List<Pending> out = new ArrayList<>();
    for (Iterator<Pending> it = pending.values().iterator(); it.hasNext() && out.size() < max;) {
      out.add(it.next());
      it.remove();
    }
    return out;
  }

  /** Puts back what could not be written (the API server went away again), unless newer ones took the place. */
  public synchronized void putBack(List<Pending> unwritten) {
    for (Pending p : unwritten) {
      String key = p.about().getNamespace() + "/" + p.about().getName() + "/" + p.about().getUid() + "/" + p.type()
          + "/" + p.reason();
      Pending newer = pending.get(key);
      if (newer == null && pending.size() < MAX_KEYS) {
        pending.put(key, p);
      } else if (newer != null) {
        pending.put(key, new Pending(p.about(), p.type(), p.reason(), p.first(), newer.last(),
            p.count() + newer.count(), p.firstMessage(), newer.lastMessage()));
      } else {
        dropped += p.count();
      }
    }
  }

  /** Events that found no room, since the start (logged once per flush that finds more). */
  public synchronized long dropped() {
    return dropped;
  }
}
