package dev.nodepulse.tasks.model;

import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageCodec;
import java.util.List;

/**
 * Lets the task records travel on the local event bus as themselves (records are immutable: the same object is
 * handed over). They never go over the wire: the SockJS bridge carries JSON only ({@link TaskJson}).
 */
public final class LocalCodec<T> implements MessageCodec<T, T> {
  private static final List<Class<?>> TYPES = List.of(Declaration.class, Withdrawal.class, Synced.class,
      ClusterStatus.class);

  private final Class<T> type;

  private LocalCodec(Class<T> type) {
    this.type = type;
  }

  /** Registers the codecs on this Vert.x instance; safe to call from every verticle that sends them. */
  public static synchronized void register(Vertx vertx) {
    for (Class<?> t : TYPES) {
      registerOne(vertx, t);
    }
  }

  private static <T> void registerOne(Vertx vertx, Class<T> t) {
    try {
      vertx.eventBus().registerDefaultCodec(t, new LocalCodec<>(t));
    } catch (IllegalStateException alreadyRegistered) {
      // another verticle of this instance registered it
    }
  }

  @Override
  public void encodeToWire(Buffer buffer, T t) {
    throw new UnsupportedOperationException(type.getSimpleName() + " is local to the agent");
  }

  @Override
  public T decodeFromWire(int pos, Buffer buffer) {
    throw new UnsupportedOperationException(type.getSimpleName() + " is local to the agent");
  }

  @Override
  public T transform(T t) {
    return t;
  }

  @Override
  public String name() {
    return "nodepulse-local-" + type.getSimpleName();
  }

  @Override
  public byte systemCodecID() {
    return -1;
  }
}
