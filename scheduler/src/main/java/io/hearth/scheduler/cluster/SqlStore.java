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
 * The durable store on a database, through JDBC: the Hazelcast maps {@value HazelcastConfigs#JOBS_MAP}
 * and {@value HazelcastConfigs#REQUESTS_MAP} are written through to two tables and loaded from them
 * eagerly when a cluster starts.
 *
 * <p>The database is shared by the members: H2 in file mode (in automatic mixed mode, so that every
 * member on one host opens the same files: the first one serves them to the others over loopback
 * and another takes over when it dies), or PostgreSQL for clusters that span hosts.
 *
 * <p>Writes go through a {@link GroupCommit}: one batched statement per table and one commit per
 * batch (an embedded H2 commit rewrites the pages it touched; a PostgreSQL commit waits for its WAL
 * flush).
 *
 * <p>Thread-safe: Hazelcast calls the stores from its map-store threads (many at once); reads
 * borrow a pooled connection in auto-commit mode; writes go through the writer's own connection.
 */
final class SqlStore implements DurableStore {

  private static final Logger LOG = LoggerFactory.getLogger(SqlStore.class);
  private static final int POOL_SIZE = 4;
  private static final int LOAD_BATCH = 500;

  private final HikariDataSource pool;
  private final boolean postgres;
  private final String description;
  private final GroupCommit writer;

  private final Map<String, Table<?>> tables = new HashMap<>();
  /** The writer's own connection (not auto-commit); replaced after a failure. */
  private Connection connection;

  private SqlStore(HikariDataSource pool, boolean postgres, String description, long commitWaitMs) {
    this.pool = pool;
    this.postgres = postgres;
    this.description = description;
    this.writer = new GroupCommit(new Writer(), description, commitWaitMs, GroupCommit.SQL_LINGER_NANOS);
  }

  /** Opens (and creates when needed) the database the options name; {@code commitWaitMs}: see {@link GroupCommit}. */
  static SqlStore open(SchedulerOptions options, long commitWaitMs) {
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
    SqlStore store = new SqlStore(pool, postgres, description, commitWaitMs);
    try {
      store.createTables();
    } catch (SQLException e) {
      pool.close();
      throw new IllegalStateException("durable store " + description + ": cannot create tables: " + e.getMessage(), e);
    }
    LOG.info("durable store: {}", description);
    return store;
  }

  /**
   * Creates the tables unless they exist. Members that start together race on it: PostgreSQL may
   * refuse the loser of two concurrent {@code CREATE TABLE IF NOT EXISTS} with a unique violation in
   * its own catalog (pg_type), so a failure is tried again a few times; by then the tables exist.
   */
  private void createTables() throws SQLException {
    for (int attempt = 1; ; attempt++) {
      try {
        createTablesOnce();
        return;
      } catch (SQLException e) {
        if (attempt >= 5) {
          throw e;
        }
        LOG.info("durable store {}: creating the tables failed ({}); trying again (another member may be creating them)",
            description, e.getMessage());
        try {
          Thread.sleep(200L * attempt);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw e;
        }
      }
    }
  }

  private void createTablesOnce() throws SQLException {
    String bytes = postgres ? "BYTEA" : "VARBINARY";
    try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS hearth_jobs (job_id VARCHAR(64) PRIMARY KEY, owner VARCHAR(256) NOT NULL,"
          + " state INTEGER NOT NULL, tier INTEGER NOT NULL, job " + bytes + " NOT NULL)");
      s.execute("CREATE TABLE IF NOT EXISTS hearth_requests (request_key VARCHAR(512) PRIMARY KEY,"
          + " job_id VARCHAR(64) NOT NULL)");
    }
  }

  @Override
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

  @Override
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

  @Override
  public long countJobs() {
    try (Connection c = pool.getConnection(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM hearth_jobs")) {
      rs.next();
      return rs.getLong(1);
    } catch (SQLException e) {
      throw new IllegalStateException("durable store: " + e.getMessage(), e);
    }
  }

  @Override
  public long[] commitsAndRows() {
    return new long[] {writer.commits.get(), writer.rows.get()};
  }

  @Override
  public void close() {
    writer.close();
    LOG.info("durable store closed: {}", writer.summary());
    pool.close();
  }

  @Override
  public String description() {
    return description;
  }

  @Override
  public String toString() {
    return description;
  }

  /** One key-value table behind one map: the key column first, then the value's columns. */
  private abstract class Table<V> extends GroupCommit.WriteThrough<V> {
    private final String keyColumn;
    private final String upsert;
    private final String select;

    Table(String table, String keyColumn, List<String> columns) {
      super(writer, table);
      tables.put(table, this);
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

    /** Adds one row's change to the batch of its statement. */
    @SuppressWarnings("unchecked")
    void add(PreparedStatement ps, GroupCommit.Row row) throws SQLException {
      ps.setString(1, row.key());
      if (row.value() != null) {
        bind(ps, 2, (V) row.value());
      }
      ps.addBatch();
    }

    String sql(GroupCommit.Row row) {
      return row.value() == null ? "DELETE FROM " + table + " WHERE " + keyColumn + " = ?" : upsert;
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

  /** Writes a batch in one transaction on the writer's own connection. */
  private final class Writer implements GroupCommit.Sink {
    @Override
    public void write(List<GroupCommit.Row> rows) throws SQLException {
      Connection c = connection();
      Map<String, PreparedStatement> statements = new java.util.LinkedHashMap<>();
      try {
        for (GroupCommit.Row row : rows) {
          Table<?> t = tables.get(row.table());
          String sql = t.sql(row);
          PreparedStatement ps = statements.get(sql);
          if (ps == null) {
            ps = c.prepareStatement(sql);
            statements.put(sql, ps);
          }
          t.add(ps, row);
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
      } catch (SQLException e) {
        try {
          c.rollback();
        } catch (SQLException ignored) {
          // the connection is replaced by reset()
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

    /**
     * Whether a failure says the database cannot be reached (no connection, or it broke) rather
     * than that it refused a row: SQL state class 08, Hikari's connection timeout, H2's broken or
     * closed connection.
     */
    @Override
    public boolean unreachable(Exception e) {
      if (!(e instanceof SQLException sql)) {
        return false;
      }
      for (SQLException x = sql; x != null; x = x.getNextException()) {
        String state = x.getSQLState();
        if (x instanceof java.sql.SQLTransientConnectionException || x instanceof java.sql.SQLNonTransientConnectionException
            || state != null && (state.startsWith("08") || state.equals("90067") || state.equals("90098")
                || state.equals("90121"))) {
          return true;
        }
      }
      return false;
    }

    /** Drops the writer's connection after a failure: out of the pool, so the next one is new. */
    @Override
    public void reset() {
      if (connection != null) {
        try {
          pool.evictConnection(connection);
        } catch (RuntimeException ignored) {
          // already gone
        }
        connection = null;
      }
    }

    private Connection connection() throws SQLException {
      if (connection == null) {
        connection = pool.getConnection();
        connection.setAutoCommit(false);
      }
      return connection;
    }
  }
}
