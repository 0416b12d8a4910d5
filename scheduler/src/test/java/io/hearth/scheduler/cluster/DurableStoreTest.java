package io.hearth.scheduler.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.hazelcast.map.MapStore;
import io.hearth.scheduler.config.SchedulerOptions;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The write-through store against a real H2 file: what a caller is told is what the file holds. */
class DurableStoreTest {

  @TempDir Path dir;

  /**
   * A caller that stopped waiting has told Hazelcast its change failed, so the map kept the old
   * value: the change must never reach the file later (it would then hold a value the map never
   * took, or overwrite a newer one written meanwhile through another member).
   */
  /** Sessions of the database in the middle of writing a request row (the writer, waiting for the row lock). */
  private static int writingARequestRow(Connection c) throws java.sql.SQLException {
    try (Statement s = c.createStatement();
         java.sql.ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM INFORMATION_SCHEMA.SESSIONS WHERE EXECUTING_STATEMENT LIKE 'MERGE INTO hearth_requests%'")) {
      rs.next();
      return rs.getInt(1);
    }
  }

  @Test
  void aChangeItsCallerGaveUpOnIsNeverWrittenAndATakenOneIsWaitedForToTheEnd() throws Exception {
    SchedulerOptions options = SchedulerOptions.builder().storeDataDir(dir.resolve("db").toString()).build();
    ExecutorService callers = Executors.newFixedThreadPool(2);
    try (DurableStore store = SqlStore.open(options, 500)) {
      MapStore<String, String> requests = store.requests();
      String url = "jdbc:h2:file:" + dir.resolve("db").toAbsolutePath().resolve("hearth") + ";AUTO_SERVER=TRUE";
      try (Connection blocker = DriverManager.getConnection(url, options.storeUser(), options.storePassword())) {
        try (Statement s = blocker.createStatement()) {
          // The writer's session (opened at its first write) waits up to 20 s for a row lock.
          s.execute("SET DEFAULT_LOCK_TIMEOUT 20000");
        }
        blocker.setAutoCommit(false);
        try (PreparedStatement ps = blocker.prepareStatement(
            "INSERT INTO hearth_requests (request_key, job_id) VALUES ('a', 'uncommitted')")) {
          ps.executeUpdate();
        }
        // The writer takes "a" and waits for the row lock; "b" waits behind it in the queue.
        CompletableFuture<Void> a = CompletableFuture.runAsync(() -> requests.store("a", "job-a"), callers);
        await().atMost(Duration.ofSeconds(10)).until(() -> writingARequestRow(blocker) > 0);
        CompletableFuture<Void> b = CompletableFuture.runAsync(() -> requests.store("b", "job-b"), callers);
        assertThatThrownBy(() -> b.get(10, TimeUnit.SECONDS))
            .hasRootCauseInstanceOf(java.util.concurrent.TimeoutException.class)
            .hasMessageContaining("did not take the change within 500 ms; it will not be written");
        // "a" was taken before its caller's 500 ms ran out: the caller still waits for the verdict.
        await().during(Duration.ofMillis(700)).atMost(Duration.ofSeconds(5)).until(() -> !a.isDone());
        blocker.rollback();
        a.get(20, TimeUnit.SECONDS);
      }
      // The writer has moved past "b" (a later change is committed) without writing it.
      requests.store("c", "job-c");
      assertThat(requests.load("a")).isEqualTo("job-a");
      assertThat(requests.load("c")).isEqualTo("job-c");
      assertThat(requests.load("b")).isNull();
    } finally {
      callers.shutdownNow();
    }
  }
}
