package dev.nodepulse.tasks.source;

import static org.assertj.core.api.Assertions.assertThat;

import dev.nodepulse.tasks.TasksVerticle;
import dev.nodepulse.tasks.model.Declaration;
import dev.nodepulse.tasks.model.TaskReader;
import dev.nodepulse.tasks.model.Withdrawal;
import dev.nodepulse.tasks.source.TaskFiles.FileState;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What the directory's files tell the pipeline, against a pipeline that records and refuses as it is told. */
class FileDeclarationsTest {
  final Vertx vertx = Vertx.vertx();
  final Path dir = Path.of("/etc/nodepulse/tasks");
  final List<Declaration> declared = new ArrayList<>();
  final List<Withdrawal> withdrawn = new ArrayList<>();
  /** Task keys another declaration holds: a declaration of one is refused with 409. */
  final Set<String> taken = new HashSet<>();
  final List<String> problems = new ArrayList<>();
  int synced;
  FileDeclarations declarations;

  @BeforeEach
  void setUp() {
    var bus = vertx.eventBus();
    bus.<Declaration>consumer(TasksVerticle.DECLARE, m -> {
      declared.add(m.body());
      if (m.body().task() != null && taken.contains(m.body().key())) {
        m.fail(409, "task " + m.body().key() + " is declared by another file");
      } else if (m.body().task() != null && m.body().task().metadata().name().equals("broken")) {
        m.fail(400, "refused for a reason of its own");
      } else {
        m.reply(new JsonObject());
      }
    });
    bus.<Withdrawal>consumer(TasksVerticle.WITHDRAW, m -> {
      withdrawn.add(m.body());
      m.reply(new JsonObject());
    });
    bus.consumer(TasksVerticle.SYNCED, m -> {
      synced++;
      m.reply(new JsonObject());
    });
    declarations = new FileDeclarations(new Pipeline(vertx), dir, problems::add);
  }

  @AfterEach
  void tearDown() throws Exception {
    get(vertx.close());
  }

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  /** Runs {@code sync} on the event loop, as the source does. */
  void sync(List<String> names, Map<String, FileState> files) throws Exception {
    get(vertx.getOrCreateContext().<Void>executeBlocking(() -> null)
        .compose(v -> declarations.sync(names, Map.copyOf(files))));
  }

  static FileState file(String name) throws Exception {
    return new FileState(1, 1, TaskReader.read(DirectorySourceTest.task(name, "delay: 1h").getBytes(),
        TaskReader.Format.YAML), null, false, false);
  }

  @Test
  void onlyWhatChangedIsSentAndAGoneFileIsWithdrawn() throws Exception {
    Map<String, FileState> files = new HashMap<>();
    files.put("a.yaml", file("a"));
    files.put("B Broken.yaml", new FileState(1, 1, null, "file B Broken.yaml: not UTF-8 text", false, false));
    sync(List.of("a.yaml", "B Broken.yaml"), files);
    assertThat(declared).extracting(d -> d.origin().id(), Declaration::key).containsExactly(
        org.assertj.core.groups.Tuple.tuple(dir.resolve("B Broken.yaml").toString(), "default/b-broken"),
        org.assertj.core.groups.Tuple.tuple(dir.resolve("a.yaml").toString(), "default/a"));
    assertThat(declared.get(0).invalid().message()).isEqualTo("file B Broken.yaml: not UTF-8 text");

    sync(List.of("a.yaml", "B Broken.yaml"), files);
    assertThat(declared).as("nothing changed: nothing sent").hasSize(2);

    files.remove("a.yaml");
    sync(List.of("a.yaml"), files);
    assertThat(withdrawn).extracting(Withdrawal::key).containsExactly("default/a");
    assertThat(declared).hasSize(2);
    assertThat(problems).isEmpty();

    get(vertx.getOrCreateContext().<Void>executeBlocking(() -> null).compose(v -> declarations.announce()));
    get(vertx.getOrCreateContext().<Void>executeBlocking(() -> null).compose(v -> declarations.announce()));
    assertThat(synced).as("said once").isEqualTo(1);
  }

  @Test
  void aFileWhoseTaskIsTakenIsAFailedTaskNamingItAndIsDeclaredAgainUntilItIsFree() throws Exception {
    taken.add("default/a");
    Map<String, FileState> files = Map.of("copy.yaml", file("a"), "other.yaml", file("other"));
    sync(List.of("copy.yaml"), files);
    assertThat(declared).hasSize(2);
    assertThat(declared.get(1).task()).isNull();
    assertThat(declared.get(1).key()).isEqualTo("default/copy");
    assertThat(declared.get(1).invalid().message())
        .isEqualTo("file copy.yaml: task default/a is declared by another file");

    sync(List.of("other.yaml"), files); // any change: the refused file is tried again
    assertThat(declared).extracting(Declaration::key)
        .containsExactlyInAnyOrder("default/a", "default/copy", "default/a", "default/copy", "default/other");
    taken.clear();
    sync(List.of("other.yaml"), files);
    assertThat(declared).extracting(Declaration::key).endsWith("default/a");
    int sent = declared.size();
    sync(List.of("other.yaml"), files);
    assertThat(declared).as("free now: no longer tried again").hasSize(sent);
  }

  @Test
  void anotherRefusalIsAProblemAndTheFileIsSentAgainNextTime() throws Exception {
    Map<String, FileState> files = Map.of("broken.yaml", file("broken"));
    sync(List.of("broken.yaml"), files);
    assertThat(problems).containsExactly("file broken.yaml: refused for a reason of its own");
    sync(List.of("broken.yaml"), files);
    assertThat(declared).hasSize(2);
  }

  @Test
  void aFailedTasksNameIsTheFileNameAsADns1123Name() {
    assertThat(FileDeclarations.stem("My Task_1.yaml")).isEqualTo("my-task-1");
    assertThat(FileDeclarations.stem("..yaml")).isEqualTo("invalid");
    assertThat(FileDeclarations.stem("a".repeat(300) + ".json")).hasSize(253);
  }
}
