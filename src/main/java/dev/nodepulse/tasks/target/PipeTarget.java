package dev.nodepulse.tasks.target;

import dev.nodepulse.tasks.model.RunResult;
import dev.nodepulse.tasks.model.RunResult.Outcome;
import dev.nodepulse.tasks.model.Target;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One pipe attempt: append {@code data} to a FIFO or regular file directly under the pipe directory.
 * Names cannot leave the directory (no separators, no dot names, no symlinks pointing out). The open and
 * the write run on a dedicated thread, because opening a FIFO blocks until a reader comes. When the
 * attempt ends first, the writer is abandoned safely: the FIFO is opened read-write by us for a moment
 * (which never blocks on Linux and counts as a reader), so the blocked open returns and the writer sees
 * that it must not write; a writer blocked in write() is interrupted, which closes its channel.
 *
 * <p>One writer per pipe at a time: attempts on the same file wait their turn (within their own timeout), so
 * one attempt's clean-up never wakes another writer, which would then write into the moment's pseudo-reader
 * (data lost, yet reported as sent) or hit a broken pipe. An attempt succeeds only when all its bytes were
 * written to a reader's open pipe (or appended to the file).
 */
final class PipeTarget {

  private final Path dir;
  private final ExecutorService threads;
  /** The writer's turn per pipe (by real path); fair, so attempts take turns in order. */
  private final Map<Path, Semaphore> turns = new ConcurrentHashMap<>();

  PipeTarget(Path dir, ExecutorService threads) {
    this.dir = dir;
    this.threads = threads;
  }

  /** Why {@code name} may not be used, or null when it is a plain name inside the directory. */
  static String badName(String name) {
    if (name == null || name.isEmpty()) {
      return "pipe name is empty";
    }
    if (name.equals(".") || name.equals("..") || name.contains("/") || name.contains("\\") || name.indexOf(0) >= 0) {
      return "pipe name '" + name + "' must be a plain file name inside the pipe directory (no '/', '..')";
    }
    if (name.length() > 255) {
      return "pipe name is longer than 255 characters";
    }
    return null;
  }

  private enum State { OPENING, WRITING, FINISHED, ABANDONED }

  void run(Attempt attempt, Target.Pipe target) {
    Duration timeout = target.timeout() == null ? Target.Pipe.DEFAULT_TIMEOUT : target.timeout();
    String bad = badName(target.name());
    if (bad != null) {
      attempt.fail(Outcome.DENIED, bad);
      return;
    }
    attempt.deadline(timeout, Outcome.TIMEOUT, "pipe " + target.name() + ": no reader took the data within "
        + timeout.toMillis() + "ms");
    byte[] data = (target.data() == null ? "" : target.data()).getBytes(StandardCharsets.UTF_8);
    AtomicReference<State> state = new AtomicReference<>(State.OPENING);
    AtomicReference<Thread> writer = new AtomicReference<>();
    AtomicReference<Path> opening = new AtomicReference<>();
    // counted down once the stop's clean-up is over: an abandoned writer keeps the pipe's turn until then, so
    // the next writer never takes the moment's pseudo-reader for a real one
    CountDownLatch cleanedUp = new CountDownLatch(1);
    attempt.onStop(() -> {
      State was = state.getAndUpdate(s -> s == State.FINISHED ? s : State.ABANDONED);
      if (was == State.OPENING || was == State.WRITING) {
        Thread t = writer.get();
        if (t != null) {
          t.interrupt(); // ends a wait for the pipe's turn, or a write in progress
        }
      }
      Path blocked = opening.get();
      if (was == State.OPENING && blocked != null) {
        threads.execute(() -> { // a FIFO open() does not answer interrupts
          unblock(blocked);
          cleanedUp.countDown();
        });
      } else {
        cleanedUp.countDown();
      }
    });
    threads.execute(() -> {
      writer.set(Thread.currentThread());
      try {
        RunResult r = write(target.name(), data, state, opening, cleanedUp);
        if (r != null) {
          attempt.finish(r);
        }
      } finally {
        state.compareAndSet(State.WRITING, State.FINISHED);
        writer.set(null);
        Thread.interrupted(); // do not leak an interrupt into the pooled thread
      }
    });
  }

  /** Runs on the pipe thread; null when abandoned. */
  private RunResult write(String name, byte[] data, AtomicReference<State> state, AtomicReference<Path> opening,
      CountDownLatch cleanedUp) {
    Path base;
    try {
      base = dir.toRealPath();
    } catch (IOException e) {
      return RunResult.failure(Outcome.FAILED, "pipe directory " + dir + " is missing or unreadable: "
          + HttpTarget.describe(e));
    }
    Path real;
    try {
      real = base.resolve(name).toRealPath();
      if (!base.equals(real.getParent())) {
        return RunResult.failure(Outcome.DENIED, "pipe " + name + " resolves to " + real
            + ", outside the pipe directory " + base);
      }
      BasicFileAttributes attrs = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (!attrs.isRegularFile() && !attrs.isOther()) {
        return RunResult.failure(Outcome.FAILED, "pipe " + name + " is not a FIFO or a regular file");
      }
    } catch (NoSuchFileException e) {
      return RunResult.failure(Outcome.FAILED, "no such pipe: " + name + " in " + dir);
    } catch (IOException e) {
      return RunResult.failure(Outcome.FAILED, "pipe " + name + ": " + HttpTarget.describe(e));
    }
    Semaphore turn = turns.computeIfAbsent(real, p -> new Semaphore(1, true));
    try {
      turn.acquire();
    } catch (InterruptedException e) {
      return null; // abandoned while another attempt wrote to this pipe
    }
    try {
      return open(name, real, data, state, opening);
    } finally {
      if (state.get() == State.ABANDONED) {
        awaitQuietly(cleanedUp);
      }
      turn.release();
    }
  }

  /** Opens and writes, holding the pipe's turn; null when abandoned. */
  private static RunResult open(String name, Path real, byte[] data, AtomicReference<State> state,
      AtomicReference<Path> opening) {
    opening.set(real);
    if (state.get() != State.OPENING) {
      return null;
    }
    try (FileChannel channel = FileChannel.open(real, StandardOpenOption.WRITE, StandardOpenOption.APPEND,
        LinkOption.NOFOLLOW_LINKS)) {
      if (!state.compareAndSet(State.OPENING, State.WRITING)) {
        return null; // opened only because we unblocked ourselves: write nothing
      }
      ByteBuffer buffer = ByteBuffer.wrap(data);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      return RunResult.success(null, data.length, null);
    } catch (IOException e) {
      if (state.get() == State.ABANDONED) {
        return null;
      }
      return RunResult.failure(Outcome.FAILED, "writing to pipe " + name + " failed: " + HttpTarget.describe(e));
    }
  }

  private static void awaitQuietly(CountDownLatch latch) {
    boolean interrupted = Thread.interrupted();
    try {
      latch.await(30, TimeUnit.SECONDS); // the clean-up is one open and close; bounded all the same
    } catch (InterruptedException e) {
      interrupted = true;
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Opens the FIFO read-write for a moment so a writer blocked in open() returns; never blocks on Linux. */
  private static void unblock(Path fifo) {
    try {
      FileChannel.open(fifo, StandardOpenOption.READ, StandardOpenOption.WRITE, LinkOption.NOFOLLOW_LINKS).close();
    } catch (IOException e) {
      // the writer finished or the FIFO went away: nothing to unblock
    }
  }
}
