package dev.nodepulse.tasks.source;

import dev.nodepulse.tasks.model.Declaration;
import dev.nodepulse.tasks.model.Origin;
import dev.nodepulse.tasks.source.TaskFiles.FileState;
import io.vertx.core.Future;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;

/**
 * What the tasks directory's files declare to the pipeline (origin FILE, the file's path): a file's task, or a
 * Failed task named after the file saying why it cannot be read. Only what changed is sent. Two files declaring
 * the same task: the one the pipeline saw first keeps it; the other is refused (a Failed task named after its
 * file, naming both files) and declared again at every change until the first lets go. Used on the source's
 * event loop.
 */
final class FileDeclarations {
  private final Pipeline pipeline;
  private final Path dir;
  /** Told of a declaration the pipeline refused for another reason than a taken task (in words, naming the file). */
  private final Consumer<String> problem;
  /** The declaration last sent and accepted for each file. */
  private final Map<String, Declaration> sent = new HashMap<>();
  /** Files whose task another declaration holds: declared again at every change until it is free. */
  private final Set<String> refused = new TreeSet<>();
  private boolean announced;

  FileDeclarations(Pipeline pipeline, Path dir, Consumer<String> problem) {
    this.pipeline = pipeline;
    this.dir = dir;
    this.problem = problem;
  }

  /**
   * Tells the pipeline what changed among {@code names}, as {@code files} holds them now (a name not there is
   * gone), and declares the refused files again: withdrawals first, then declarations in file order.
   */
  Future<Void> sync(Collection<String> names, Map<String, FileState> files) {
    List<Future<?>> pending = new ArrayList<>();
    for (String gone : names) {
      if (!files.containsKey(gone) && sent.containsKey(gone)) {
        Declaration last = sent.remove(gone);
        refused.remove(gone);
        pending.add(pipeline.withdraw(origin(gone), last.key()).otherwiseEmpty());
      }
    }
    Set<String> todo = new TreeSet<>(names);
    todo.addAll(refused);
    for (String name : todo) {
      FileState s = files.get(name);
      if (s == null) {
        continue;
      }
      Declaration d = s.task() != null ? Declaration.of(origin(name), s.task())
          : Declaration.invalid(origin(name), "default", stem(name), s.error());
      if (d.equals(sent.get(name)) && !refused.contains(name)) {
        continue;
      }
      sent.put(name, d);
      pending.add(pipeline.declare(d).map(ok -> {
        refused.remove(name);
        return ok;
      }).recover(err -> {
        Pipeline.Refused r = (Pipeline.Refused) err;
        if (r.status() != 409 || d.task() == null) {
          sent.remove(name); // try again at the next full scan
          problem.accept("file " + name + ": " + r.getMessage());
          return Future.succeededFuture();
        }
        // another declaration holds the task: this file is a Failed task of its own, naming both
        refused.add(name);
        return pipeline.declare(Declaration.invalid(origin(name), "default", stem(name), "file " + name + ": "
            + r.getMessage())).otherwiseEmpty();
      }).otherwiseEmpty());
    }
    return Future.join(pending).mapEmpty();
  }

  /**
   * After the first scan whose declarations all went through: tells the pipeline that this source declared
   * everything, so the stored state of tasks whose files were deleted while the agent was down is dropped.
   */
  Future<Void> announce() {
    if (announced) {
      return Future.succeededFuture();
    }
    return pipeline.synced(Origin.Kind.FILE).onSuccess(reply -> announced = true).<Void>mapEmpty()
        .otherwiseEmpty();
  }

  private Origin origin(String name) {
    return new Origin(Origin.Kind.FILE, dir.resolve(name).toString(), 0);
  }

  /** The name of a file's Failed task: the file name as a DNS-1123 name (in namespace default). */
  static String stem(String fileName) {
    String stem = fileName.replaceFirst("\\.(ya?ml|json)$", "").toLowerCase(Locale.ROOT)
        .replaceAll("[^a-z0-9.-]+", "-").replaceAll("^[^a-z0-9]+|[^a-z0-9]+$", "");
    if (stem.isEmpty()) {
      stem = "invalid";
    }
    return stem.length() > 253 ? stem.substring(0, 253) : stem;
  }
}
