package io.hearth.scheduler.cluster;

import com.hazelcast.map.MapStore;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.hearth.scheduler.config.SchedulerOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The durable copy of the job state: the Hazelcast maps {@value HazelcastConfigs#JOBS_MAP} and
 * {@value HazelcastConfigs#REQUESTS_MAP} are written through to two tables by the {@link MapStore}s
 * this class hands out (a map change returns only after its row is committed) and loaded from them
 * eagerly when a cluster starts, so a full restart of every member loses no accepted job.
 *
 * <p>The database is shared by the members: H2 in file mode by default (in automatic mixed mode,
 * so that every member on one host opens the same files: the first one serves them to the others
 * over loopback and another takes over when it dies), PostgreSQL for clusters that span hosts.
 *
 * <p>Writes are group-committed: every {@code store}, {@code storeAll} and {@code delete} call
 * hands its rows to one writer thread and waits until the transaction holding them has committed.
 * The writer takes whatever is waiting (up to {@value #MAX_BATCH} rows), writes it with one batched
 * statement per table and commits once, so concurrent changes share a commit instead of paying one
 * each (an embedded H2 commit rewrites the pages it touched; a PostgreSQL commit waits for its
 * WAL flush). A call still returns only once its rows are durable, and a batch that fails is
 * retried row by row, so one bad row fails only its own call.
 *
 * <p>Thread-safe: Hazelcast calls the stores from its map-store threads (many at once); reads
 * borrow a pooled connection in auto-commit mode; writes go through the writer's own connection.
 */
public final class DurableStore implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DurableStore.class);
  private static final int POOL_SIZE = 4;
  private static final int LOAD_BATCH = 500;
  /** Rows per group commit at most. */
  static final int MAX_BATCH = 2_000;
  /** How long the writer waits for more rows before it commits a small batch. */
  static final long LINGER_NANOS = 1_000_000;
  /** A batch of this many rows is committed without waiting for more. */
  static final int LINGER_BELOW_ROWS = 64;
  /**
   * How long a caller waits for the writer to take its change before it gives up on it (a change
   * the writer has taken is waited for to the end: its outcome is then the truth).
   */
  static final long COMMIT_WAIT_MS = 60_000;

  private final HikariDataSource pool;
  private final boolean postgres;
  private final String description;
  private final GroupCommit writer;

  private final long commitWaitMs;

  private DurableStore(HikariDataSource pool, boolean postgres, String description, long commitWaitMs) {
    this.pool = pool;
    this.commitWaitMs = commitWaitMs;
    this.postgres = postgres;
    this.description = description;
    this.writer = new GroupCommit();
  }

  /** Opens (and creates when needed) the store the options name. */
  public static DurableStore open(SchedulerOptions options) {
    return open(options, COMMIT_WAIT_MS);
  }

  /** As {@link #open(SchedulerOptions)}, with how long a caller waits for the writer to take its change. */
  static DurableStore open(SchedulerOptions options, long commitWaitMs) {
    boolean postgres = options.storeType() == SchedulerOptions.StoreType.POSTGRESQL;
    String url = options.storeJdbcUrl();
    if (!postgres && url.isEmpty()) {
      Path dir = Path.of(options.storeDataDir()).toAbsolutePath();
      try {
        Files.createDirectories(dir);
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException("store.data-dir: '" + dir + "' cannot be created (" + e.getMessage() + ")", e);
      }
      // WRITE_DELAY=0: no background writer (it would write committed changes up to 500 ms later,
      // which a killed process loses); the group-commit writer writes each batch to the file itself
      // (CHECKPOINT). DB_CLOSE_DELAY=-1: a member that opened the file keeps the
      // database open while it lives instead of closing it with its last connection (its pooled
      // connections then failed with "Database is already closed" until the pool replaced them).
      url = "jdbc:h2:file:" + dir.resolve("hearth") + ";AUTO_SERVER=TRUE;WRITE_DELAY=0;DB_CLOSE_DELAY=-1";
    }
    if (!postgres && System.getProperty("h2.bindAddress") == null) {
      // The H2 server that mixed mode starts serves the other members of this host only.
      System.setProperty("h2.bindAddress", options.clusterHost());
    }
    HikariConfig config = new HikariConfig();
    config.setPoolName("hearth-store");
    config.setJdbcUrl(url);
    config.setUsername(options.storeUser());
    config.setPassword(options.storePassword());
    config.setMaximumPoolSize(POOL_SIZE);
    config.setMinimumIdle(1);
    config.setAutoCommit(true);
    config.setConnectionTimeout(10_000);
    config.setValidationTimeout(2_000);
    config.setInitializationFailTimeout(30_000);
    String description = postgres ? "postgresql " + url : "h2 " + url;
    HikariDataSource pool;
    try {
      pool = new HikariDataSource(config);
    } catch (RuntimeException e) {
      throw new IllegalStateException("durable store " + description + " cannot be opened: " + e.getMessage(), e);
    }
    DurableStore store = new DurableStore(pool, postgres, description, commitWaitMs);
    try {
      store.createTables();
    } catch (SQLException e) {
      pool.close();
      throw new IllegalStateException("durable store " + description + ": cannot create tables: " + e.getMessage(), e);
    }
    LOG.info("durable store: {}", description);
    return store;
  }

  private void createTables() throws SQLException {
    String bytes = postgres ? "BYTEA" : "VARBINARY";
    try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS hearth_jobs (job_id VARCHAR(64) PRIMARY KEY, owner VARCHAR(256) NOT NULL,"
          + " state INTEGER NOT NULL, tier INTEGER NOT NULL, job " + bytes + " NOT NULL)");
      s.execute("CREATE TABLE IF NOT EXISTS hearth_requests (request_key VARCHAR(512) PRIMARY KEY,"
          + " job_id VARCHAR(64) NOT NULL)");
    }
  }

  /** The write-through store of the jobs map. */
  public MapStore<String, StoredJob> jobs() {
    return new Table<>("hearth_jobs", "job_id", List.of("owner", "state", "tier", "job")) {
      @Override
      void bind(PreparedStatement ps, int from, StoredJob v) throws SQLException {
        ps.setString(from, v.owner());
        ps.setInt(from + 1, v.state());
        ps.setInt(from + 2, v.tier());
        ps.setBytes(from + 3, v.job());
      }

      @Override
      StoredJob read(String key, ResultSet rs) throws SQLException {
        return new StoredJob(key, rs.getString(2), rs.getInt(3), rs.getInt(4), rs.getBytes(5));
      }
    };
  }

  /** The write-through store of the request-id map (owner + request id -> job id). */
  public MapStore<String, String> requests() {
    return new Table<>("hearth_requests", "request_key", List.of("job_id")) {
      @Override
      void bind(PreparedStatement ps, int from, String v) throws SQLException {
        ps.setString(from, v);
      }

      @Override
      String read(String key, ResultSet rs) throws SQLException {
        return rs.getString(2);
      }
    };
  }

  /** Rows in the jobs table (for tests and the start-up log). */
  public long countJobs() {
    try (Connection c = pool.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM hearth_jobs")) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException("durable store: " + e.getMessage(), e);
    }
  }

  /** Commits made and rows written so far (for tests and the load report). */
  public long[] commitsAndRows() {
    return new long[] {writer.commits.get(), writer.rows.get()};
  }

  @Override
  public void close() {
    writer.close();
    long commits = writer.commits.get();
    LOG.info("durable store closed: {} rows in {} commits ({} rows per commit)", writer.rows.get(), commits,
        commits == 0 ? 0 : String.format(java.util.Locale.ROOT, "%.1f", writer.rows.get() / (double) commits));
    pool.close();
  }

  @Override
  public String toString() {
    return description;
  }

  /** One key-value table behind one map: the key column first, then the value's columns. */
  private abstract class Table<V> implements MapStore<String, V> {
    private final String table;
    private final String keyColumn;
    private final String upsert;
    private final String select;

    Table(String table, String keyColumn, List<String> columns) {
      this.table = table;
      this.keyColumn = keyColumn;
      String all = keyColumn + ", " + String.join(", ", columns);
      String marks = "?" + ", ?".repeat(columns.size());
      if (postgres) {
        StringBuilder set = new StringBuilder();
        for (String col : columns) {
          set.append(set.length() == 0 ? "" : ", ").append(col).append(" = EXCLUDED.").append(col);
        }
        this.upsert = "INSERT INTO " + table + " (" + all + ") VALUES (" + marks + ") ON CONFLICT (" + keyColumn
            + ") DO UPDATE SET " + set;
      } else {
        this.upsert = "MERGE INTO " + table + " (" + all + ") KEY (" + keyColumn + ") VALUES (" + marks + ")";
      }
      this.select = "SELECT " + all + " FROM " + table + " WHERE " + keyColumn;
    }

    abstract void bind(PreparedStatement ps, int from, V value) throws SQLException;

    abstract V read(String key, ResultSet rs) throws SQLException;

    @Override
    public void store(String key, V value) {
      writer.commit(List.of(new Row(this, key, value)));
    }

    @Override
    public void storeAll(Map<String, V> entries) {
      List<Row> rows = new ArrayList<>(entries.size());
      for (Map.Entry<String, V> e : entries.entrySet()) {
        rows.add(new Row(this, e.getKey(), e.getValue()));
      }
      writer.commit(rows);
    }

    @Override
    public void delete(String key) {
      deleteAll(List.of(key));
    }

    @Override
    public void deleteAll(Collection<String> keys) {
      List<Row> rows = new ArrayList<>(keys.size());
      for (String k : keys) {
        rows.add(new Row(this, k, null));
      }
      writer.commit(rows);
    }

    /** Adds one row's change to the batch of its statement. */
    @SuppressWarnings("unchecked")
    void add(PreparedStatement ps, Row row) throws SQLException {
      ps.setString(1, row.key());
      if (row.value() != null) {
        bind(ps, 2, (V) row.value());
      }
      ps.addBatch();
    }

    String upsertSql() {
      return upsert;
    }

    String deleteSql() {
      return "DELETE FROM " + table + " WHERE " + keyColumn + " = ?";
    }

    String name() {
      return table;
    }

    @Override
    public V load(String key) {
      Map<String, V> one = loadAll(List.of(key));
      return one.get(key);
    }

    @Override
    public Map<String, V> loadAll(Collection<String> keys) {
      Map<String, V> out = new HashMap<>();
      List<String> list = new ArrayList<>(keys);
      try (Connection c = pool.getConnection()) {
        for (int from = 0; from < list.size(); from += LOAD_BATCH) {
          List<String> part = list.subList(from, Math.min(list.size(), from + LOAD_BATCH));
          String sql = select + " IN (?" + ", ?".repeat(part.size() - 1) + ")";
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < part.size(); i++) {
              ps.setString(i + 1, part.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                String k = rs.getString(1);
                out.put(k, read(k, rs));
              }
            }
          }
        }
      } catch (SQLException e) {
        throw failure("load", e);
      }
      return out;
    }

    @Override
    public Iterable<String> loadAllKeys() {
      List<String> keys = new ArrayList<>();
      try (Connection c = pool.getConnection(); Statement s = c.createStatement();
           ResultSet rs = s.executeQuery("SELECT " + keyColumn + " FROM " + table)) {
        while (rs.next()) {
          keys.add(rs.getString(1));
        }
      } catch (SQLException e) {
        throw failure("load", e);
      }
      LOG.info("loading {} rows of {} from the durable store", keys.size(), table);
      return keys;
    }

    private IllegalStateException failure(String what, SQLException e) {
      LOG.warn("durable store {} on {} failed: {}", what, table, e.getMessage());
      return new DurableStoreException("durable store " + what + " on " + table + " failed: " + e.getMessage(), e);
    }
  }

  /** One row to write: an upsert of {@code value}, or a delete when it is null. */
  private record Row(Table<?> table, String key, Object value) {
    String sql() {
      return value == null ? table.deleteSql() : table.upsertSql();
    }

    String id() {
      return table.name() + '/' + key;
    }
  }

  /**
   * Rows handed to the writer together, and the caller waiting for them. A change is either taken
   * by the writer or given up by its caller, never both: a caller that stopped waiting has told
   * Hazelcast the change failed, so writing it later would put a value the map never took (and
   * possibly an older one than a later change of the same row) into the store.
   */
  private static final class Change {
    private static final int WAITING = 0;
    private static final int TAKEN = 1;
    private static final int GIVEN_UP = 2;
    final List<Row> rows;
    final java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
    private final java.util.concurrent.atomic.AtomicInteger state = new java.util.concurrent.atomic.AtomicInteger();

    Change(List<Row> rows) {
      this.rows = rows;
    }

    /** The writer takes the change; false when its caller has given up on it. */
    boolean take() {
      return state.compareAndSet(WAITING, TAKEN);
    }

    /** The caller gives up on the change; false when the writer has taken it already. */
    boolean giveUp() {
      return state.compareAndSet(WAITING, GIVEN_UP);
    }
  }

  /**
   * The writer thread: commits what callers hand it in as few transactions as it can. Changes are
   * written in the order they arrived; a batch stops before a change that touches a row already in
   * it, so two writes of one row never share a statement batch (Hazelcast writes a key from one
   * thread at a time, so this is rare).
   */
  private final class GroupCommit implements AutoCloseable {
    private final java.util.concurrent.LinkedBlockingQueue<Change> queue = new java.util.concurrent.LinkedBlockingQueue<>();
    private final java.util.concurrent.atomic.AtomicLong commits = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong rows = new java.util.concurrent.atomic.AtomicLong();
    private final Thread thread;
    private volatile boolean closed;
    private Connection connection;
    /** A change taken from the queue that did not fit the last batch. */
    private Change carried;

    GroupCommit() {
      thread = new Thread(this::run, "hearth-store-writer");
      thread.setDaemon(true);
      thread.start();
    }

    /** Writes the rows in one transaction shared with other callers; returns once committed. */
    void commit(List<Row> rows) {
      if (rows.isEmpty()) {
        return;
      }
      if (closed) {
        throw new DurableStoreException("durable store " + description + " is closed", null);
      }
      Change c = new Change(rows);
      queue.add(c);
      try {
        try {
          c.done.get(commitWaitMs, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
          if (c.giveUp()) {
            throw new DurableStoreException("durable store " + description + ": the writer did not take the change"
                + " within " + commitWaitMs + " ms; it will not be written", e);
          }
          // The writer is writing it: its verdict is the truth (a write is bounded by the pool's
          // connection timeout and a connection failure fails the whole batch at once).
          c.done.get();
        }
      } catch (java.util.concurrent.ExecutionException e) {
        Throwable cause = e.getCause();
        throw cause instanceof DurableStoreException d ? d
            : new DurableStoreException("durable store write failed: " + cause.getMessage(), cause);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        if (c.giveUp()) {
          throw new DurableStoreException("durable store write interrupted before it was taken; it will not be written", e);
        }
        throw new DurableStoreException("durable store write interrupted while being written: it may have landed", e);
      }
    }

    private void run() {
      List<Change> batch = new ArrayList<>();
      while (!closed) {
        try {
          batch.clear();
          if (!take(batch)) {
            continue;
          }
          write(batch);
        } catch (InterruptedException e) {
          // Changes already taken for this batch are not written: say so to their callers.
          DurableStoreException stopped = new DurableStoreException("durable store " + description + " is closed", e);
          for (Change c : batch) {
            c.done.completeExceptionally(stopped);
          }
          break;
        } catch (RuntimeException e) {
          // Never let the writer die: fail this batch and carry on.
          LOG.error("durable store writer: {}", e.toString(), e);
          for (Change c : batch) {
            c.done.completeExceptionally(e);
          }
        }
      }
      DurableStoreException stopped = new DurableStoreException("durable store " + description + " is closed", null);
      if (carried != null) {
        carried.done.completeExceptionally(stopped);
      }
      for (Change c; (c = queue.poll()) != null; ) {
        c.done.completeExceptionally(stopped);
      }
      closeConnection();
    }

    /** Fills the batch with waiting changes, up to {@value #MAX_BATCH} rows and no row twice. */
    private boolean take(List<Change> batch) throws InterruptedException {
      Change first = carried != null ? carried : takeNext(queue.poll(200, java.util.concurrent.TimeUnit.MILLISECONDS));
      carried = null;
      if (first == null) {
        return false;
      }
      batch.add(first);
      int n = first.rows.size();
      java.util.Set<String> seen = new java.util.HashSet<>();
      for (Row r : first.rows) {
        seen.add(r.id());
      }
      // Linger a little for more: a commit costs the same for one row as for hundreds (H2 rewrites
      // the pages it touched, PostgreSQL flushes its WAL), so under load a short wait saves more
      // than it costs; alone, a change waits at most LINGER_NANOS.
      long lingerUntil = System.nanoTime() + LINGER_NANOS;
      for (Change next; n < MAX_BATCH && (next = pollUntil(lingerUntil, n)) != null; ) {
        boolean clash = false;
        for (Row r : next.rows) {
          clash |= seen.contains(r.id());
        }
        if (clash || n + next.rows.size() > MAX_BATCH) {
          carried = next;
          break;
        }
        for (Row r : next.rows) {
          seen.add(r.id());
        }
        batch.add(next);
        n += next.rows.size();
      }
      return true;
    }

    /** The next waiting change; waits for one until {@code deadline} while the batch is small. */
    private Change pollUntil(long deadline, int rowsSoFar) throws InterruptedException {
      while (true) {
        Change next = queue.poll();
        if (next == null && rowsSoFar < LINGER_BELOW_ROWS) {
          long left = deadline - System.nanoTime();
          next = left > 0 ? queue.poll(left, java.util.concurrent.TimeUnit.NANOSECONDS) : null;
        }
        if (next == null || next.take()) {
          return next;
        }
        // its caller gave up on it: drop it and look for the next one
      }
    }

    /** The change, taken; null when there is none or its caller gave up on it. */
    private Change takeNext(Change c) {
      return c != null && c.take() ? c : null;
    }

    private void write(List<Change> batch) {
      try {
        writeTogether(batch);
        for (Change c : batch) {
          c.done.complete(null);
        }
      } catch (SQLException e) {
        closeConnection();
        if (batch.size() == 1) {
          batch.get(0).done.completeExceptionally(failure(batch.get(0), e));
          return;
        }
        if (unreachable(e)) {
          // No row is to blame: the database is not there. Fail them all now rather than wait for
          // a connection once per change.
          for (Change c : batch) {
            c.done.completeExceptionally(failure(c, e));
          }
          return;
        }
        // Find the change that fails: each alone, in order.
        for (int i = 0; i < batch.size(); i++) {
          Change c = batch.get(i);
          try {
            writeTogether(List.of(c));
            c.done.complete(null);
          } catch (SQLException one) {
            closeConnection();
            c.done.completeExceptionally(failure(c, one));
            if (unreachable(one)) {
              for (Change rest : batch.subList(i + 1, batch.size())) {
                rest.done.completeExceptionally(failure(rest, one));
              }
              return;
            }
          }
        }
      }
    }

    /**
     * Whether a failure says the database cannot be reached (no connection, or it broke) rather
     * than that it refused a row: SQL state class 08, Hikari's connection timeout, H2's broken or
     * closed connection.
     */
    private boolean unreachable(SQLException e) {
      for (SQLException x = e; x != null; x = x.getNextException()) {
        String state = x.getSQLState();
        if (x instanceof java.sql.SQLTransientConnectionException || x instanceof java.sql.SQLNonTransientConnectionException
            || state != null && (state.startsWith("08") || state.equals("90067") || state.equals("90098")
                || state.equals("90121"))) {
          return true;
        }
      }
      return false;
    }

    private void writeTogether(List<Change> batch) throws SQLException {
      Connection c = connection();
      Map<String, PreparedStatement> statements = new java.util.LinkedHashMap<>();
      int n = 0;
      try {
        for (Change change : batch) {
          for (Row row : change.rows) {
            PreparedStatement ps = statements.get(row.sql());
            if (ps == null) {
              ps = c.prepareStatement(row.sql());
              statements.put(row.sql(), ps);
            }
            row.table().add(ps, row);
            n++;
          }
        }
        for (PreparedStatement ps : statements.values()) {
          ps.executeBatch();
        }
        c.commit();
        if (!postgres) {
          // An H2 commit may return before its pages reach the file (a store already running is not
          // repeated), so a killed member that serves the file could lose the last commits: write
          // them to the file before anyone is told they are durable, one checkpoint per batch. The
          // file is not fsynced (as before: a killed process loses nothing, a power cut may).
          try (Statement sync = c.createStatement()) {
            sync.execute("CHECKPOINT");
          }
        }
        commits.incrementAndGet();
        rows.addAndGet(n);
      } catch (SQLException e) {
        try {
          c.rollback();
        } catch (SQLException ignored) {
          // the connection is replaced below
        }
        throw e;
      } finally {
        for (PreparedStatement ps : statements.values()) {
          try {
            ps.close();
          } catch (SQLException ignored) {
            // closing a statement of a broken connection
          }
        }
      }
    }

    private Connection connection() throws SQLException {
      if (connection == null) {
        connection = pool.getConnection();
        connection.setAutoCommit(false);
      }
      return connection;
    }

    /** Drops the writer's connection after a failure: out of the pool, so the next one is new. */
    private void closeConnection() {
      if (connection != null) {
        try {
          pool.evictConnection(connection);
        } catch (RuntimeException ignored) {
          // already gone
        }
        connection = null;
      }
    }

    private DurableStoreException failure(Change c, SQLException e) {
      String table = c.rows.get(0).table().name();
      LOG.warn("durable store write on {} failed: {}", table, e.getMessage());
      return new DurableStoreException("durable store write on " + table + " failed: " + e.getMessage(), e);
    }

    @Override
    public void close() {
      closed = true;
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The database refused or could not be reached: the change was not made; retry. */
  public static final class DurableStoreException extends IllegalStateException {
    DurableStoreException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
