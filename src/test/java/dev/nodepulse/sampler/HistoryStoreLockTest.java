package dev.nodepulse.sampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * history.db locked by another process: a write fails as {@link HistoryStore.Locked}, which the sampler handles
 * as a passing fault (points kept in memory, written at the next flush), not as a broken store it gives up on;
 * once the lock is gone the same store writes again.
 */
class HistoryStoreLockTest {
  @TempDir Path tmp;

  @Test
  void aLockedHistoryIsAPassingFaultAndTheStoreWritesAgainAfterIt() throws Exception {
    try (HistoryStore store = HistoryStore.open(tmp)) {
      store.write(List.of(new Point(1000, 10.0, 10.0)));
      Path db = tmp.resolve(HistoryStore.FILE);
      try (Connection other = DriverManager.getConnection("jdbc:sqlite:" + db); Statement st = other.createStatement()) {
        st.execute("BEGIN EXCLUSIVE");
        assertThatThrownBy(() -> store.write(List.of(new Point(2000, 20.0, 15.0))))
            .isInstanceOf(HistoryStore.Locked.class)
            .hasMessage("locked by another process: cannot write the history to " + db);
        st.execute("ROLLBACK");
      }
      store.write(List.of(new Point(2000, 20.0, 15.0)));
      assertThat(store.count()).isEqualTo(2);
    }
  }
}
