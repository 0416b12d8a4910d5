package io.hearth.scheduler.cluster;

import io.hearth.scheduler.cluster.DurableStore.DurableStoreException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The writer thread of a durable store: callers hand it rows and wait until the batch holding them
 * is durable; it takes whatever is waiting (up to {@value #MAX_BATCH} rows, lingering for more at
 * most the sink's linger while fewer than {@value #LINGER_BELOW_ROWS} wait) and writes it in one go
 * through its {@link Sink}, so concurrent changes share a commit instead of paying one each. Changes
 * that arrive while a batch is written form the next one, so batches grow with the load even
 * without lingering. A batch that fails is retried change by change, so one bad row fails only its
 * own call; a failure that says the store cannot be reached fails the whole batch at once.
 *
 * <p>A change is either taken by the writer or given up by its caller, never both: a caller that
 * stopped waiting has told Hazelcast its change failed (the map kept the old value), so writing the
 * change later would put a value the map never took, possibly older than a later change of the same
 * row, into the store. A caller whose change was taken waits for the writer's verdict.
 *
 * <p>A sink whose write costs less than handing it over ({@link #onCallersThread}: the journal,
 * one write(2) to the page cache) has no writer thread: each caller writes its own rows, one caller
 * at a time. With Hazelcast calling the store on its two partition threads, batches of the writer
 * thread held 1.1 rows on average, so the hand-off to it and back was all it added
 * (benchmarks/README.md, round 7).
 */
final class GroupCommit implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(GroupCommit.class);
  /** Rows per batch at most. */
  static final int MAX_BATCH = 2_000;
  /**
   * How long the writer of a database waits for more rows before it writes a small batch (a
   * database commit is a round trip; a journal's is one write(2), cheaper than any wait).
   */
  static final long SQL_LINGER_NANOS = 1_000_000;
  /** A batch of this many rows is written without waiting for more. */
  static final int LINGER_BELOW_ROWS = 64;

  /** One row to write: an upsert of {@code value} into {@code table}, or a delete when it is null. */
  record Row(String table, String key, Object value) {
    String id() {
      return table + '/' + key;
    }
  }

  /** The write side of a write-through map store: every change goes through the group commit. */
  abstract static class WriteThrough<V> implements com.hazelcast.map.MapStore<String, V> {
    private final GroupCommit writer;
    final String table;

    WriteThrough(GroupCommit writer, String table) {
      this.writer = writer;
      this.table = table;
    }

    @Override
    public void store(String key, V value) {
      writer.commit(List.of(new Row(table, key, value)));
    }

    @Override
    public void storeAll(java.util.Map<String, V> entries) {
      List<Row> rows = new ArrayList<>(entries.size());
      for (java.util.Map.Entry<String, V> e : entries.entrySet()) {
        rows.add(new Row(table, e.getKey(), e.getValue()));
      }
      writer.commit(rows);
    }

    @Override
    public void delete(String key) {
      deleteAll(List.of(key));
    }

    @Override
    public void deleteAll(java.util.Collection<String> keys) {
      List<Row> rows = new ArrayList<>(keys.size());
      for (String k : keys) {
        rows.add(new Row(table, k, null));
      }
      writer.commit(rows);
    }

    @Override
    public V load(String key) {
      return loadAll(List.of(key)).get(key);
    }
  }

  /** Where batches go. */
  interface Sink {
    /** Writes the rows as one atomic, durable batch, or throws and writes none of them. */
    void write(List<Row> rows) throws Exception;

    /** Whether a failure says the store cannot be reached (rather than that it refused a row). */
    boolean unreachable(Exception e);

    /** Called after a failed write, before the next one (drop a broken connection). */
    void reset();
  }

  private final Sink sink;
  private final String description;
  private final long commitWaitMs;
  private final long lingerNanos;
  private final LinkedBlockingQueue<Change> queue = new LinkedBlockingQueue<>();
  final AtomicLong commits = new AtomicLong();
  final AtomicLong rows = new AtomicLong();
  /** The writer thread; null when callers write themselves. */
  private final Thread thread;
  private volatile boolean closed;
  /** A change taken from the queue that did not fit the last batch. */
  private Change carried;

  GroupCommit(Sink sink, String description, long commitWaitMs, long lingerNanos) {
    this(sink, description, commitWaitMs, lingerNanos, true);
  }

  private GroupCommit(Sink sink, String description, long commitWaitMs, long lingerNanos, boolean writerThread) {
    this.sink = sink;
    this.lingerNanos = lingerNanos;
    this.description = description;
    this.commitWaitMs = commitWaitMs;
    if (writerThread) {
      thread = new Thread(this::run, "hearth-store-writer");
      thread.setDaemon(true);
      thread.start();
    } else {
      thread = null;
    }
  }

  /**
   * Commits without a writer thread: each caller writes its rows through the sink itself, under a
   * lock that one caller holds at a time, and a failure fails only that caller's rows.
   */
  static GroupCommit onCallersThread(Sink sink, String description) {
    return new GroupCommit(sink, description, 0, 0, false);
  }

  /** Writes the rows in one batch shared with other callers; returns once they are durable. */
  void commit(List<Row> rows) {
    if (rows.isEmpty()) {
      return;
    }
    if (closed) {
      throw new DurableStoreException("durable store " + description + " is closed", null);
    }
    if (thread == null) {
      writeNow(rows);
      return;
    }
    Change c = new Change(rows);
    queue.add(c);
    try {
      try {
        c.done.get(commitWaitMs, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        if (c.giveUp()) {
          throw new DurableStoreException("durable store " + description + ": the writer did not take the change"
              + " within " + commitWaitMs + " ms; it will not be written", e);
        }
        // The writer is writing it: its verdict is the truth (a write is bounded by the store's
        // own timeouts, and a store that cannot be reached fails the whole batch at once).
        c.done.get();
      }
    } catch (ExecutionException e) {
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

  private void writeNow(List<Row> rows) {
    synchronized (sink) {
      if (closed) {
        throw new DurableStoreException("durable store " + description + " is closed", null);
      }
      try {
        sink.write(rows);
      } catch (Exception e) {
        sink.reset();
        throw failure(rows, e);
      }
      commits.incrementAndGet();
      this.rows.addAndGet(rows.size());
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
    sink.reset();
  }

  /** Fills the batch with waiting changes, up to {@value #MAX_BATCH} rows and no row twice. */
  private boolean take(List<Change> batch) throws InterruptedException {
    Change first = carried != null ? carried : takeNext(queue.poll(200, TimeUnit.MILLISECONDS));
    carried = null;
    if (first == null) {
      return false;
    }
    batch.add(first);
    int n = first.rows.size();
    Set<String> seen = new HashSet<>();
    for (Row r : first.rows) {
      seen.add(r.id());
    }
    // Linger a little for more when the sink asks for it: a database commit costs about the same for
    // one row as for hundreds, so under load a short wait saves more than it costs; alone, a change
    // waits at most the linger.
    long lingerUntil = System.nanoTime() + lingerNanos;
    for (Change next; n < MAX_BATCH && (next = pollUntil(lingerUntil, n)) != null; ) {
      boolean clash = false;
      for (Row r : next.rows) {
        clash |= seen.contains(r.id());
      }
      if (clash || n + next.rows.size() > MAX_BATCH) {
        // Two writes of one row never share a batch (Hazelcast writes a key from one thread at a
        // time, so this is rare); the change opens the next batch.
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

  /** The next waiting change, taken; waits for one until {@code deadline} while the batch is small. */
  private Change pollUntil(long deadline, int rowsSoFar) throws InterruptedException {
    while (true) {
      Change next = queue.poll();
      if (next == null && rowsSoFar < LINGER_BELOW_ROWS) {
        long left = deadline - System.nanoTime();
        next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : null;
      }
      if (next == null || next.take()) {
        return next;
      }
      // its caller gave up on it: drop it and look for the next one
    }
  }

  /** The change, taken; null when there is none or its caller gave up on it. */
  private static Change takeNext(Change c) {
    return c != null && c.take() ? c : null;
  }

  private void write(List<Change> batch) {
    try {
      writeTogether(batch);
      for (Change c : batch) {
        c.done.complete(null);
      }
    } catch (Exception e) {
      sink.reset();
      if (batch.size() == 1 || sink.unreachable(e)) {
        // One change, or no row is to blame (the store is not there): fail them all now rather
        // than wait for the store once per change.
        for (Change c : batch) {
          c.done.completeExceptionally(failure(c.rows, e));
        }
        return;
      }
      // Find the change that fails: each alone, in order.
      for (int i = 0; i < batch.size(); i++) {
        Change c = batch.get(i);
        try {
          writeTogether(List.of(c));
          c.done.complete(null);
        } catch (Exception one) {
          sink.reset();
          c.done.completeExceptionally(failure(c.rows, one));
          if (sink.unreachable(one)) {
            for (Change rest : batch.subList(i + 1, batch.size())) {
              rest.done.completeExceptionally(failure(rest.rows, one));
            }
            return;
          }
        }
      }
    }
  }

  private void writeTogether(List<Change> batch) throws Exception {
    List<Row> all = new ArrayList<>();
    for (Change c : batch) {
      all.addAll(c.rows);
    }
    sink.write(all);
    commits.incrementAndGet();
    rows.addAndGet(all.size());
  }

  private DurableStoreException failure(List<Row> rows, Exception e) {
    String table = rows.get(0).table();
    LOG.warn("durable store write on {} failed: {}", table, e.getMessage());
    return new DurableStoreException("durable store write on " + table + " failed: " + e.getMessage(), e);
  }

  /** Commits and rows so far, and rows per commit, for the closing log line. */
  String summary() {
    long n = commits.get();
    return rows.get() + " rows in " + n + " commits ("
        + (n == 0 ? "0" : String.format(java.util.Locale.ROOT, "%.1f", rows.get() / (double) n)) + " rows per commit)";
  }

  @Override
  public void close() {
    if (thread == null) {
      // Under the callers' lock: a write under way ends before the store closes its file, and no
      // write starts after.
      synchronized (sink) {
        closed = true;
      }
      return;
    }
    closed = true;
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Rows handed to the writer together, and the caller waiting for them. */
  private static final class Change {
    private static final int WAITING = 0;
    private static final int TAKEN = 1;
    private static final int GIVEN_UP = 2;
    final List<Row> rows;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    private final AtomicInteger state = new AtomicInteger(WAITING);

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
}
