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
 * <p>Thread-safe: Hazelcast calls the stores from its partition threads; every call borrows a
 * pooled connection in auto-commit mode.
 */
public final class DurableStore implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(DurableStore.class);
  private static final int POOL_SIZE = 4;
  private static final int LOAD_BATCH = 500;

  private final HikariDataSource pool;
  private final boolean postgres;
  private final String description;

  private DurableStore(HikariDataSource pool, boolean postgres, String description) {
    this.pool = pool;
    this.postgres = postgres;
    this.description = description;
  }

  /** Opens (and creates when needed) the store the options name. */
  public static DurableStore open(SchedulerOptions options) {
    boolean postgres = options.storeType() == SchedulerOptions.StoreType.POSTGRESQL;
    String url = options.storeJdbcUrl();
    if (!postgres && url.isEmpty()) {
      Path dir = Path.of(options.storeDataDir()).toAbsolutePath();
      try {
        Files.createDirectories(dir);
      } catch (java.io.IOException e) {
        throw new IllegalArgumentException("store.data-dir: '" + dir + "' cannot be created (" + e.getMessage() + ")", e);
      }
      // WRITE_DELAY=0: every commit reaches the file before the call returns (H2 otherwise writes
      // committed changes up to 500 ms later, which a killed process would lose).
      url = "jdbc:h2:file:" + dir.resolve("hearth") + ";AUTO_SERVER=TRUE;WRITE_DELAY=0";
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
    DurableStore store = new DurableStore(pool, postgres, description);
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

  @Override
  public void close() {
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
      try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(upsert)) {
        ps.setString(1, key);
        bind(ps, 2, value);
        ps.executeUpdate();
      } catch (SQLException e) {
        throw failure("store", e);
      }
    }

    @Override
    public void storeAll(Map<String, V> entries) {
      try (Connection c = pool.getConnection(); PreparedStatement ps = c.prepareStatement(upsert)) {
        for (Map.Entry<String, V> e : entries.entrySet()) {
          ps.setString(1, e.getKey());
          bind(ps, 2, e.getValue());
          ps.addBatch();
        }
        ps.executeBatch();
      } catch (SQLException e) {
        throw failure("store", e);
      }
    }

    @Override
    public void delete(String key) {
      deleteAll(List.of(key));
    }

    @Override
    public void deleteAll(Collection<String> keys) {
      try (Connection c = pool.getConnection();
           PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE " + keyColumn + " = ?")) {
        for (String k : keys) {
          ps.setString(1, k);
          ps.addBatch();
        }
        ps.executeBatch();
      } catch (SQLException e) {
        throw failure("delete", e);
      }
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

  /** The database refused or could not be reached: the change was not made; retry. */
  public static final class DurableStoreException extends IllegalStateException {
    DurableStoreException(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
