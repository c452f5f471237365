package dev.nodepulse.tasks.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.sql.DriverManager;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tasks.db's tables alone: a file written by an older agent, with fewer columns, is read and then written. */
class TaskStoreTest {
  @TempDir Path tmp;

  @Test
  void aTasksDbWithOnlyTheFirstColumnsKeepsItsRowsAndTakesTheNewFields() throws Exception {
    Path file = tmp.resolve("tasks.db");
    try (var c = DriverManager.getConnection("jdbc:sqlite:" + file); var st = c.createStatement()) {
      st.execute("""
          CREATE TABLE tasks(
            key TEXT PRIMARY KEY, source TEXT NOT NULL, source_key TEXT NOT NULL, object TEXT,
            spec_hash TEXT, generation INTEGER NOT NULL, first_seen INTEGER NOT NULL, next_run_at INTEGER,
            runs INTEGER NOT NULL, attempts INTEGER NOT NULL, phase TEXT NOT NULL, last_run TEXT,
            done INTEGER NOT NULL)""");
      st.execute("INSERT INTO tasks VALUES ('ns/a', 'file', '/t/a.yaml', NULL, 'h', 2, 1000, 5000, 3, 3, "
          + "'Scheduled', NULL, 0)");
    }
    try (TaskStore store = TaskStore.open(file)) {
      TaskRow old = store.loadAll().get(0);
      assertThat(old).isEqualTo(new TaskRow("ns/a", "file", "/t/a.yaml", null, "h", 2, 1000, 5000L, 3, 3, "Scheduled",
          null, false, null, 0, null, 0, null));
      TaskRow now = new TaskRow("ns/a", "file", "/t/a.yaml", null, "h", 2, 1000, 5000L, 4, 4, "Running", null, false,
          6000L, 2, "{\"count\":2}", 1, "{\"count\":1}");
      store.write(List.of(now), List.of(), List.of(), k -> 20);
      assertThat(store.loadAll()).containsExactly(now);
    }
    try (TaskStore again = TaskStore.open(file)) {
      assertThat(again.loadAll()).as("opened again: nothing added twice").hasSize(1);
    }
  }
}
