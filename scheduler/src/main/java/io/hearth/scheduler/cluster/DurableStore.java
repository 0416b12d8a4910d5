package io.hearth.scheduler.cluster;

import com.hazelcast.map.MapStore;
import io.hearth.scheduler.config.SchedulerOptions;

/**
 * The durable copy of the job state: the Hazelcast maps {@value HazelcastConfigs#JOBS_MAP} and
 * {@value HazelcastConfigs#REQUESTS_MAP} are written through to it by the {@link MapStore}s it hands
 * out (a map change returns only after it is durable) and loaded from it eagerly when a cluster
 * starts, so a full restart of every member loses no accepted job.
 *
 * <p>Three kinds: an append-only journal in {@code store.data-dir} ({@link JournalStore}), an H2 file
 * database there, or PostgreSQL ({@link SqlStore}). The databases group-commit on a writer thread
 * ({@link GroupCommit}); the journal's callers append their records themselves.
 */
public interface DurableStore extends AutoCloseable {

  /**
   * How long a caller waits for a database's writer to take its change before it gives up on it (a change
   * the writer has taken is waited for to the end: its outcome is then the truth).
   */
  long COMMIT_WAIT_MS = 60_000;

  /** Opens (and creates when needed) the store the options name. */
  static DurableStore open(SchedulerOptions options) {
    return switch (options.storeType()) {
      case JOURNAL -> JournalStore.open(options);
      case H2, POSTGRESQL -> SqlStore.open(options, COMMIT_WAIT_MS);
    };
  }

  /** The write-through store of the jobs map. */
  MapStore<String, StoredJob> jobs();

  /** The write-through store of the request-id map (owner + request id -> job id). */
  MapStore<String, String> requests();

  /** Jobs in the store (for tests and the start-up log). */
  long countJobs();

  /** Commits made and rows written so far (for tests and the load report). */
  long[] commitsAndRows();

  /**
   * Whether Hazelcast should call this store off its partition threads: true for a store whose
   * writes wait on a network round trip (a database); false for one whose loads are look-ups in
   * memory and whose writes are appends to the page cache, where handing each call to another
   * thread and back costs more than the call.
   */
  default boolean offload() {
    return true;
  }

  /** What the store is and where, for logs. */
  String description();

  @Override
  void close();

  /** The store refused or could not be reached: the change was not made; retry. */
  final class DurableStoreException extends IllegalStateException {
    public DurableStoreException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
