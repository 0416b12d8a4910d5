package io.hearth.scheduler.cluster;

import com.hazelcast.map.MapStore;
import io.hearth.scheduler.config.SchedulerOptions;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded durable store: one append-only file, {@value #FILE} in {@code store.data-dir}, that
 * every member of one host appends its batches to. A batch is one {@code write} of whole records to
 * a file opened for appending (O_APPEND), so batches of different members never interleave and the
 * file's order is the order in which the changes became durable: the last record of a key is its
 * value. A record costs its bytes and a CRC, where a database row costs a B-tree page rewrite.
 *
 * <p>Record: magic {@code HRJ1}, body length, CRC32C of the body, then the body: table (0 jobs,
 * 1 requests), key, and either a value or a delete mark. Reading skips what does not check out (a
 * record a killed member left half written) and resynchronises on the next magic.
 *
 * <p>When the first member of a host opens the store (no other process holds the folder's lock
 * file), it rewrites the file with the last value of each key (compaction: write a new file,
 * force it to disk, rename it over the old one); members then hold a shared lock for their life,
 * so the file is never rewritten under a member that appends to it. Loading reads the file once
 * into an index of key -> record position, brought up to date with what any member appended
 * since before each load, and serves Hazelcast's loads from it.
 *
 * <p>Hazelcast calls it on its partition threads, not offloaded: a load is a look-up in the index
 * (and, for a key about to be created, finds nothing), a write waits for one append to the page
 * cache. Handing each call to the map-store executor and back cost more than the call: without it,
 * SubmitJobs placed 1.5x as many jobs per second (benchmarks/README.md, round 6). For the same
 * reason the caller appends its record itself rather than through a writer thread
 * ({@link GroupCommit#onCallersThread}).
 *
 * <p>Durability: as the H2 default, a batch is written to the file (the kernel's page cache)
 * before anyone is told it is durable, so a killed member loses nothing; it is not forced to the
 * disk per batch, so a power cut may lose the last batches.
 */
final class JournalStore implements DurableStore {

  private static final Logger LOG = LoggerFactory.getLogger(JournalStore.class);
  static final String FILE = "hearth.journal";
  static final String LOCK_FILE = "hearth.journal.lock";
  static final int MAGIC = 0x48524A31; // "HRJ1"
  private static final int HEADER = 12;
  /** A body longer than this is not a record (a job is a few KB at most). */
  static final int MAX_BODY = 16 << 20;
  private static final byte JOBS = 0;
  private static final byte REQUESTS = 1;
  private static final byte PUT = 1;
  private static final byte DELETE = 0;
  private static final String[] TABLES = {"hearth_jobs", "hearth_requests"};

  /** Per folder in this JVM: the lock file's channel, its shared lock and how many stores use it. */
  private static final Map<Path, HostLock> LOCKS = new HashMap<>();

  private final Path dir;
  private final Path file;
  private final String description;
  /**
   * Appends (O_APPEND). A stream, not a channel: a channel is closed for good when a thread
   * interrupted during (or before) one of its calls uses it, and Hazelcast's partition threads,
   * which append here, are interrupted when a member shuts down.
   */
  private final FileOutputStream out;
  /**
   * Reads records for loads (its own channel: positional reads). Loads run on Hazelcast's partition
   * threads, and a channel used by an interrupted thread is closed, so {@link #reader} opens it
   * again when that happened (guarded by this store's monitor).
   */
  private FileChannel in;
  /** Set by {@link #close} (guarded by this store's monitor). */
  private boolean closed;
  private final GroupCommit writer;
  /** Where each key's last record starts, per table, up to {@link #indexed}; built by the first load. */
  private List<Map<String, Position>> index;
  /** How far into the file the index has read. */
  private long indexed;
  /** The index's view of the file, kept between catch-ups (guarded by this store's monitor). */
  private final Window window = new Window();

  private JournalStore(Path dir, FileOutputStream out, FileChannel in) {
    this.dir = dir;
    this.file = dir.resolve(FILE);
    this.description = "journal " + file;
    this.out = out;
    this.in = in;
    this.writer = GroupCommit.onCallersThread(new Appender(), description);
  }

  /** Opens (and creates when needed) the journal in {@code store.data-dir}; compacts it when no other member uses it. */
  static JournalStore open(SchedulerOptions options) {
    Path dir = Path.of(options.storeDataDir()).toAbsolutePath().normalize();
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new IllegalArgumentException("store.data-dir: '" + dir + "' cannot be created (" + e.getMessage() + ")", e);
    }
    try {
      acquire(dir);
    } catch (IOException e) {
      throw new IllegalStateException("durable store journal " + dir.resolve(FILE) + ": cannot lock "
          + dir.resolve(LOCK_FILE) + ": " + e.getMessage(), e);
    }
    FileOutputStream out = null;
    FileChannel in = null;
    try {
      out = new FileOutputStream(dir.resolve(FILE).toFile(), true);
      in = FileChannel.open(dir.resolve(FILE), StandardOpenOption.READ);
      LOG.info("durable store: journal {} ({} bytes)", dir.resolve(FILE), in.size());
    } catch (IOException e) {
      // Nothing half-open is left behind: the channels are closed and the host lock released.
      closeQuietly(out);
      closeQuietly(in);
      release(dir);
      throw new IllegalStateException("durable store journal " + dir.resolve(FILE) + " cannot be opened: "
          + e.getMessage(), e);
    }
    if (Files.exists(dir.resolve("hearth.mv.db"))) {
      LOG.warn("durable store: {} also holds an h2 database (hearth.mv.db) that the journal does not read;"
          + " start with store.type=h2 to keep using it", dir);
    }
    return new JournalStore(dir, out, in);
  }

  private static void closeQuietly(java.io.Closeable c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // closing after a failure to open
      }
    }
  }

  // ------------------------------------------------------------------ the host lock and compaction

  private static final class HostLock {
    final FileChannel channel;
    final FileLock shared;
    int users;

    HostLock(FileChannel channel, FileLock shared) {
      this.channel = channel;
      this.shared = shared;
    }
  }

  /**
   * Takes this JVM's shared lock on the folder (once per JVM: a second channel on the lock file
   * would release the process's locks when closed). The first member of the host finds no other
   * process holding it, takes it exclusively for a moment and compacts the file first.
   */
  private static void acquire(Path dir) throws IOException {
    synchronized (LOCKS) {
      HostLock held = LOCKS.get(dir);
      if (held != null) {
        held.users++;
        return;
      }
      FileChannel channel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE,
          StandardOpenOption.READ, StandardOpenOption.WRITE);
      try {
        FileLock exclusive = channel.tryLock(0, Long.MAX_VALUE, false);
        if (exclusive != null) {
          try {
            compact(dir);
          } finally {
            exclusive.release();
          }
        }
        // Waits while another process compacts.
        FileLock shared = channel.lock(0, Long.MAX_VALUE, true);
        HostLock lock = new HostLock(channel, shared);
        lock.users = 1;
        LOCKS.put(dir, lock);
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
    }
  }

  private static void release(Path dir) {
    synchronized (LOCKS) {
      HostLock held = LOCKS.get(dir);
      if (held == null || --held.users > 0) {
        return;
      }
      LOCKS.remove(dir);
      try {
        held.shared.release();
        held.channel.close();
      } catch (IOException e) {
        LOG.warn("durable store journal: releasing {}: {}", dir.resolve(LOCK_FILE), e.getMessage());
      }
    }
  }

  /** Rewrites the file with the last record of each key (deleted keys dropped); no other process uses it. */
  static void compact(Path dir) throws IOException {
    Path file = dir.resolve(FILE);
    if (!Files.exists(file) || Files.size(file) == 0) {
      return;
    }
    long t0 = System.nanoTime();
    long before = Files.size(file);
    Path tmp = dir.resolve(FILE + ".compacting");
    long records = 0;
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      List<Map<String, Position>> last = scan(in, file);
      try (FileChannel w = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        for (Map<String, Position> table : last) {
          for (Position at : table.values()) {
            ByteBuffer record = readRecord(in, at.at);
            while (record.hasRemaining()) {
              w.write(record);
            }
            records++;
          }
        }
        w.force(true);
      }
    }
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException ignored) {
      // not every file system lets a folder be forced; the rename itself is atomic
    }
    LOG.info("durable store journal {} compacted: {} -> {} bytes, {} records, in {} ms", file, before,
        Files.size(file), records, (System.nanoTime() - t0) / 1_000_000);
  }

  // ------------------------------------------------------------------ reading

  /**
   * Where each key's last record starts, per table; a key whose last record is a delete is absent.
   * Records that do not check out are skipped (the reader resynchronises on the next magic).
   */
  static List<Map<String, Position>> scan(FileChannel in, Path file) throws IOException {
    List<Map<String, Position>> last = List.of(new LinkedHashMap<>(), new LinkedHashMap<>());
    scan(in, file, 0, last, false, new Window());
    return last;
  }

  /**
   * Reads the records from {@code from} to the end into {@code last}; returns where it stopped.
   * With {@code live} (other members may be appending), a record that the end of the file cuts
   * short may still be being written: the scan stops before it and the next one resumes there.
   * The records are read in place from the window's buffer: a record costs its key's string and
   * nothing else (the live index catches up on every record the members append, once per load).
   */
  private static long scan(FileChannel in, Path file, long from, List<Map<String, Position>> last, boolean live,
      Window window) throws IOException {
    long size = in.size();
    window.reset(in, size);
    long at = from;
    long skipped = 0;
    CRC32C crc = new CRC32C();
    while (at + HEADER <= size) {
      int h = window.load(at, HEADER);
      ByteBuffer b = window.buffer;
      int magic = b.getInt(h);
      int length = b.getInt(h + 4);
      int expected = b.getInt(h + 8);
      boolean plausible = magic == MAGIC && length >= 4 && length <= MAX_BODY;
      if (plausible && live && at + HEADER + length > size) {
        break;
      }
      if (!plausible || at + HEADER + length > size) {
        // Not a record, or one cut short (a member killed while writing a batch leaves part of
        // it, and the others append after it): look for the next magic.
        at++;
        skipped++;
        continue;
      }
      int body = window.load(at + HEADER, length);
      b = window.buffer;
      crc.reset();
      crc.update(b.array(), body, length);
      int keyLength = b.getShort(body + 1) & 0xFFFF;
      if ((int) crc.getValue() != expected || 1 + 2 + keyLength + 1 > length) {
        at++;
        skipped++;
        continue;
      }
      byte table = b.get(body);
      String key = new String(b.array(), body + 3, keyLength, StandardCharsets.UTF_8);
      byte op = b.get(body + 3 + keyLength);
      if (table == JOBS || table == REQUESTS) {
        Map<String, Position> positions = last.get(table);
        if (live && op == PUT) {
          // The live index is updated in place: a record of a known key (most records) changes a
          // number, not the map, so it leaves no new object behind in the long-lived map.
          Position known = positions.get(key);
          if (known != null) {
            known.at = at;
          } else {
            positions.put(key, new Position(at));
          }
        } else {
          // Re-inserted so the map's order follows the records' (compaction keeps it).
          positions.remove(key);
          if (op == PUT) {
            positions.put(key, new Position(at));
          }
        }
      }
      at += HEADER + length;
    }
    if (skipped > 0) {
      LOG.warn("durable store journal {}: skipped {} bytes that are not whole records (a member killed while"
          + " writing leaves a partial batch)", file, skipped);
    }
    return at;
  }

  /** Where a key's last record starts in the file. */
  static final class Position {
    long at;

    Position(long at) {
      this.at = at;
    }
  }

  /**
   * A scan's view of the file through one buffer refilled a chunk at a time, so reading the records
   * appended since the last load costs a read(2) per chunk rather than two per record. The store
   * keeps one for its live index, so catching up allocates nothing once the buffer has grown (to a
   * chunk; a buffer grown past it for a larger record is dropped at the next scan).
   */
  private static final class Window {
    private static final int CHUNK = 1 << 20;
    private FileChannel in;
    private long size;
    /** The bytes read, from index 0 to the limit; a heap buffer (records are read from its array). */
    private ByteBuffer buffer = ByteBuffer.allocate(0);
    /** The file position of the buffer's first byte. */
    private long start;

    /** Forgets what was read and reads {@code in} up to {@code size} from now on. */
    void reset(FileChannel in, long size) {
      this.in = in;
      this.size = size;
      this.start = 0;
      if (buffer.capacity() > CHUNK) {
        buffer = ByteBuffer.allocate(0);
      }
      buffer.clear().limit(0);
    }

    /**
     * Makes the {@code n} bytes at {@code at} (all within the file) readable from {@link #buffer}
     * and returns the index in the buffer of the first.
     */
    int load(long at, int n) throws IOException {
      if (at < start || at + n > start + buffer.limit()) {
        int want = (int) Math.min(Math.max(CHUNK, n), size - at);
        if (buffer.capacity() < want) {
          buffer = ByteBuffer.allocate(want);
        }
        buffer.clear().limit(want);
        readFully(in, buffer, at);
        buffer.flip();
        start = at;
      }
      return (int) (at - start);
    }
  }

  /** The whole record (header and body) that starts at {@code at}. */
  private static ByteBuffer readRecord(FileChannel in, long at) throws IOException {
    ByteBuffer header = ByteBuffer.allocate(HEADER);
    readFully(in, header, at);
    header.flip();
    header.getInt();
    int length = header.getInt();
    ByteBuffer record = ByteBuffer.allocate(HEADER + length);
    readFully(in, record, at);
    record.flip();
    return record;
  }

  private static void readFully(FileChannel in, ByteBuffer into, long at) throws IOException {
    long p = at;
    while (into.hasRemaining()) {
      int n = in.read(into, p);
      if (n < 0) {
        throw new IOException("unexpected end of " + FILE + " at " + p);
      }
      p += n;
    }
  }

  private static String string(ByteBuffer b) {
    int n = b.getShort() & 0xFFFF;
    String s = new String(b.array(), b.arrayOffset() + b.position(), n, StandardCharsets.UTF_8);
    b.position(b.position() + n);
    return s;
  }

  /**
   * The index, brought up to the end of the file: the first call reads the whole file, later ones
   * the records appended since (by any member), so a load always sees every durable change.
   */
  private synchronized List<Map<String, Position>> index() {
    try {
      if (index == null) {
        long t0 = System.nanoTime();
        index = List.of(new LinkedHashMap<>(), new LinkedHashMap<>());
        indexed = scan(reader(), file, 0, index, true, window);
        LOG.info("durable store journal {}: indexed {} jobs and {} request ids in {} ms", file, index.get(JOBS).size(),
            index.get(REQUESTS).size(), (System.nanoTime() - t0) / 1_000_000);
      } else if (reader().size() > indexed) {
        indexed = scan(in, file, indexed, index, true, window);
      }
    } catch (IOException e) {
      throw new DurableStoreException("durable store journal " + file + " cannot be read: " + e.getMessage(), e);
    }
    return index;
  }

  /** The reading channel; opened again if a thread interrupted while it read closed it. */
  private FileChannel reader() throws IOException {
    if (closed) {
      throw new IOException("the store is closed");
    }
    if (!in.isOpen()) {
      LOG.warn("durable store journal {}: the reading channel was closed by an interrupted thread; opening it again", file);
      in = FileChannel.open(file, StandardOpenOption.READ);
    }
    return in;
  }

  /** The keys of one table (a copy). */
  private synchronized List<String> keys(byte table) {
    return new ArrayList<>(index().get(table).keySet());
  }

  /** The values of these keys in one table, read from their last records. */
  private synchronized Map<String, Object> read(byte table, Collection<String> keys) {
    Map<String, Position> positions = index().get(table);
    Map<String, Object> out = new HashMap<>();
    if (keys.stream().noneMatch(positions::containsKey)) {
      // The common case once the cluster runs: Hazelcast asks for a key it is about to create.
      return out;
    }
    try {
      for (String key : keys) {
        Position at = positions.get(key);
        if (at != null) {
          ByteBuffer record = readRecord(reader(), at.at);
          record.position(HEADER);
          record.get(); // table
          string(record); // key
          record.get(); // PUT
          out.put(key, table == JOBS ? readJob(key, record) : string(record));
        }
      }
    } catch (IOException e) {
      throw new DurableStoreException("durable store journal " + file + " cannot be read: " + e.getMessage(), e);
    }
    return out;
  }

  private static StoredJob readJob(String key, ByteBuffer b) {
    String owner = string(b);
    int state = b.getInt();
    int tier = b.getInt();
    byte[] job = new byte[b.getInt()];
    b.get(job);
    return new StoredJob(key, owner, state, tier, job);
  }

  // ------------------------------------------------------------------ writing

  /** Encodes a batch as whole records in one buffer and appends it with one write. */
  private final class Appender implements GroupCommit.Sink {
    /** The batch buffer, reused (one caller at a time writes: GroupCommit holds the sink's lock). */
    private ByteBuffer buffer;

    @Override
    public void write(List<GroupCommit.Row> rows) throws IOException {
      List<Record> records = new ArrayList<>(rows.size());
      int total = 0;
      for (GroupCommit.Row row : rows) {
        Record r = Record.of(row);
        records.add(r);
        total += HEADER + r.size();
      }
      if (buffer == null || buffer.capacity() < total) {
        buffer = ByteBuffer.allocate(Math.max(total, 64 << 10));
      }
      ByteBuffer batch = buffer.clear();
      CRC32C crc = new CRC32C();
      for (Record r : records) {
        int at = batch.position();
        batch.putInt(MAGIC).putInt(r.size()).putInt(0);
        r.writeTo(batch);
        crc.reset();
        crc.update(batch.duplicate().position(at + HEADER).limit(batch.position()));
        batch.putInt(at + 8, (int) crc.getValue());
      }
      // One write of the stream is one write(2) on a file opened with O_APPEND: it lands whole
      // after whatever the other members appended. A short write (a full disk) is finished by
      // further writes and reported if it cannot be. It is not interruptible.
      out.write(batch.array(), 0, batch.position());
    }

    @Override
    public boolean unreachable(Exception e) {
      return e instanceof IOException;
    }

    @Override
    public void reset() {
      // nothing to drop: the channel stays open
    }
  }

  /**
   * One record's body, written straight into the batch buffer: {@code [table][key]} then
   * {@code [DELETE]}, or {@code [PUT]} and either {@code [owner][state][tier][job length][job]} or
   * {@code [job id]}; strings as a 2-byte length and UTF-8.
   */
  private record Record(byte table, byte[] key, byte[] owner, StoredJob job, byte[] jobId, boolean delete) {

    static Record of(GroupCommit.Row row) {
      byte table = row.table().equals(TABLES[JOBS]) ? JOBS : REQUESTS;
      byte[] key = utf8(row.key(), "key");
      if (row.value() == null) {
        return new Record(table, key, null, null, null, true);
      }
      if (row.value() instanceof StoredJob j) {
        return new Record(table, key, utf8(j.owner(), "owner"), j, null, false);
      }
      return new Record(table, key, null, null, utf8((String) row.value(), "job id"), false);
    }

    int size() {
      int n = 1 + 2 + key.length + 1;
      if (delete) {
        return n;
      }
      return job != null ? n + 2 + owner.length + 4 + 4 + 4 + job.job().length : n + 2 + jobId.length;
    }

    void writeTo(ByteBuffer b) {
      b.put(table).putShort((short) key.length).put(key);
      if (delete) {
        b.put(DELETE);
        return;
      }
      b.put(PUT);
      if (job != null) {
        b.putShort((short) owner.length).put(owner).putInt(job.state()).putInt(job.tier())
            .putInt(job.job().length).put(job.job());
      } else {
        b.putShort((short) jobId.length).put(jobId);
      }
    }
  }

  private static byte[] utf8(String s, String what) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length > 0xFFFF) {
      throw new IllegalArgumentException("durable store journal: a " + what + " of " + b.length
          + " bytes (expected: at most 65535)");
    }
    return b;
  }

  // ------------------------------------------------------------------ the map stores

  private final class Table<V> extends GroupCommit.WriteThrough<V> {
    private final byte kind;

    Table(byte kind) {
      super(writer, TABLES[kind]);
      this.kind = kind;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Map<String, V> loadAll(Collection<String> keys) {
      return (Map<String, V>) (Map<String, ?>) read(kind, keys);
    }

    @Override
    public Iterable<String> loadAllKeys() {
      List<String> keys = keys(kind);
      LOG.info("loading {} keys of {} from the durable store", keys.size(), table);
      return keys;
    }
  }

  @Override
  public boolean offload() {
    return false;
  }

  @Override
  public MapStore<String, StoredJob> jobs() {
    return new Table<>(JOBS);
  }

  @Override
  public MapStore<String, String> requests() {
    return new Table<>(REQUESTS);
  }

  @Override
  public synchronized long countJobs() {
    return index().get(JOBS).size();
  }

  @Override
  public long[] commitsAndRows() {
    return new long[] {writer.commits.get(), writer.rows.get()};
  }

  @Override
  public String description() {
    return description;
  }

  @Override
  public void close() {
    writer.close();
    LOG.info("durable store closed: {}", writer.summary());
    try {
      out.close();
      synchronized (this) {
        closed = true;
        in.close();
      }
    } catch (IOException e) {
      LOG.warn("durable store journal {}: closing: {}", file, e.getMessage());
    }
    release(dir);
  }

  @Override
  public String toString() {
    return description;
  }
}
