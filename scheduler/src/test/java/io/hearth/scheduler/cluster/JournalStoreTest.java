package io.hearth.scheduler.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.hazelcast.map.MapStore;
import io.hearth.scheduler.config.SchedulerOptions;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The append-only journal store against real files: what was acknowledged is what comes back. */
class JournalStoreTest {

  @TempDir Path dir;

  private SchedulerOptions options() {
    return SchedulerOptions.builder().storeType(SchedulerOptions.StoreType.JOURNAL)
        .storeDataDir(dir.toString()).build();
  }

  private static StoredJob job(String id, int state, String payload) {
    return new StoredJob(id, "tenant/acme", state, 2, payload.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static String payload(StoredJob j) {
    return new String(j.job(), java.nio.charset.StandardCharsets.UTF_8);
  }

  @Test
  void theLastValueOfEachKeyComesBackAfterARestartAndTheFileIsCompacted() throws Exception {
    try (DurableStore store = DurableStore.open(options())) {
      MapStore<String, StoredJob> jobs = store.jobs();
      MapStore<String, String> requests = store.requests();
      requests.store("11:tenant/acme:r1", "job-1");
      jobs.store("job-1", job("job-1", 1, "queued"));
      jobs.store("job-1", job("job-1", 2, "assigned"));
      jobs.store("job-1", job("job-1", 4, "succeeded"));
      jobs.storeAll(Map.of("job-2", job("job-2", 1, "queued"), "job-3", job("job-3", 1, "queued")));
      jobs.delete("job-3");
      assertThat(store.countJobs()).isEqualTo(2);
      assertThat(store.commitsAndRows()[1]).isEqualTo(7);
    }
    long before = Files.size(dir.resolve(JournalStore.FILE));
    try (DurableStore store = DurableStore.open(options())) {
      // The first member of the host rewrote the file with one record per live key.
      assertThat(Files.size(dir.resolve(JournalStore.FILE))).isLessThan(before);
      MapStore<String, StoredJob> jobs = store.jobs();
      assertThat(jobs.loadAllKeys()).containsExactlyInAnyOrder("job-1", "job-2");
      Map<String, StoredJob> loaded = jobs.loadAll(List.of("job-1", "job-2", "job-3"));
      assertThat(loaded).containsOnlyKeys("job-1", "job-2");
      StoredJob one = loaded.get("job-1");
      assertThat(one.jobId()).isEqualTo("job-1");
      assertThat(one.owner()).isEqualTo("tenant/acme");
      assertThat(one.state()).isEqualTo(4);
      assertThat(one.tier()).isEqualTo(2);
      assertThat(payload(one)).isEqualTo("succeeded");
      assertThat(jobs.load("job-3")).isNull();
      assertThat(store.requests().load("11:tenant/acme:r1")).isEqualTo("job-1");
      assertThat(store.requests().load("11:tenant/acme:r2")).isNull();
    }
  }

  /**
   * Reading goes through the file a chunk at a time: records of every size, many of them crossing a
   * chunk's end and some longer than a chunk, all come back, both to a store that indexes the file
   * from the start and to one that catches up with what another store appended after it.
   */
  @Test
  void recordsAcrossAndLargerThanAReadChunkAllComeBack() throws Exception {
    java.util.Random random = new java.util.Random(7);
    Map<String, String> written = new java.util.LinkedHashMap<>();
    try (DurableStore writer = DurableStore.open(options())) {
      MapStore<String, StoredJob> jobs = writer.jobs();
      // A store that has read the file once already, to catch up on what the writer appends next.
      try (DurableStore reader = DurableStore.open(options())) {
        assertThat(reader.jobs().loadAllKeys()).isEmpty();
        for (int i = 0; i < 3_000; i++) {
          int size = i % 1_000 == 999 ? (1 << 20) + 12_345 : 1 + random.nextInt(3_000);
          String payload = ("p" + i + "-").repeat(size).substring(0, size);
          jobs.store("job-" + i, job("job-" + i, 1, payload));
          written.put("job-" + i, payload);
        }
        Map<String, StoredJob> caughtUp = reader.jobs().loadAll(written.keySet());
        assertThat(caughtUp).hasSize(written.size());
        written.forEach((k, v) -> assertThat(payload(caughtUp.get(k))).as(k).isEqualTo(v));
      }
    }
    assertThat(Files.size(dir.resolve(JournalStore.FILE))).isGreaterThan(3L << 20);
    try (DurableStore store = DurableStore.open(options())) {
      Map<String, StoredJob> loaded = store.jobs().loadAll(written.keySet());
      assertThat(loaded).hasSize(written.size());
      written.forEach((k, v) -> assertThat(payload(loaded.get(k))).as(k).isEqualTo(v));
    }
  }

  /**
   * A member killed in the middle of a batch leaves part of it, and the members still alive append
   * after it: the records before and after the torn one are read, the torn one is not.
   */
  @Test
  void aBatchCutShortByAKilledMemberIsSkippedAndWhatOthersAppendedAfterItIsKept() throws Exception {
    try (DurableStore store = DurableStore.open(options())) {
      store.jobs().store("job-1", job("job-1", 1, "before"));
    }
    Path file = dir.resolve(JournalStore.FILE);
    byte[] whole = Files.readAllBytes(file);
    // A record header that promises more than was written, then part of a body.
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.APPEND)) {
      ByteBuffer torn = ByteBuffer.allocate(12 + 20);
      torn.putInt(JournalStore.MAGIC).putInt(400).putInt(12345);
      torn.put(java.util.Arrays.copyOfRange(whole, 12, 32));
      torn.flip();
      out.write(torn);
    }
    // Another member (this JVM holds the host lock alone, so open() compacts: write the records of
    // "another member" straight to the file instead, the way a second process would).
    try (FileChannel out = FileChannel.open(file, StandardOpenOption.APPEND)) {
      Path other = dir.resolve("other");
      Files.createDirectories(other);
      try (DurableStore o = DurableStore.open(SchedulerOptions.builder().storeType(SchedulerOptions.StoreType.JOURNAL)
          .storeDataDir(other.toString()).build())) {
        o.jobs().store("job-2", job("job-2", 1, "after"));
        o.jobs().store("job-1", job("job-1", 4, "after"));
      }
      out.write(ByteBuffer.wrap(Files.readAllBytes(other.resolve(JournalStore.FILE))));
    }
    try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
      List<Map<String, JournalStore.Position>> index = JournalStore.scan(in, file);
      assertThat(index.get(0)).containsOnlyKeys("job-1", "job-2");
    }
    try (DurableStore store = DurableStore.open(options())) {
      Map<String, StoredJob> loaded = store.jobs().loadAll(List.of("job-1", "job-2"));
      assertThat(payload(loaded.get("job-1"))).isEqualTo("after");
      assertThat(loaded.get("job-1").state()).isEqualTo(4);
      assertThat(payload(loaded.get("job-2"))).isEqualTo("after");
    }
  }

  /** Two members of one JVM share the file (and the host lock); every acknowledged write is there. */
  @Test
  void membersSharingTheFolderAppendTogetherWithoutLosingAWrite() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try (DurableStore a = DurableStore.open(options()); DurableStore b = DurableStore.open(options())) {
      // b reads the file before a writes: its later loads still see what a appended since.
      assertThat(b.jobs().load("job-0")).isNull();
      a.jobs().store("job-0", job("job-0", 1, "first"));
      assertThat(payload(b.jobs().load("job-0"))).isEqualTo("first");
      List<Future<?>> writes = new ArrayList<>();
      for (int i = 0; i < 2_000; i++) {
        int n = i;
        DurableStore s = n % 2 == 0 ? a : b;
        writes.add(pool.submit(() -> s.jobs().store("job-" + n, job("job-" + n, 1, "payload " + n))));
      }
      for (Future<?> f : writes) {
        f.get();
      }
      // Each caller appended its own record, without a writer thread between: one commit per row.
      assertThat(a.commitsAndRows()[0] + b.commitsAndRows()[0]).isEqualTo(2_001);
      assertThat(a.commitsAndRows()[1] + b.commitsAndRows()[1]).isEqualTo(2_001);
      assertThat(payload(a.jobs().load("job-1999"))).isEqualTo("payload 1999");
      assertThat(b.countJobs()).isEqualTo(2_000);
      // b had indexed job-0's first record: its catch-up moves the key to the newer one, and drops a deleted key.
      assertThat(payload(b.jobs().load("job-0"))).isEqualTo("payload 0");
      a.jobs().store("job-0", job("job-0", 3, "third"));
      a.jobs().delete("job-2");
      assertThat(payload(b.jobs().load("job-0"))).isEqualTo("third");
      assertThat(b.jobs().load("job-2")).isNull();
      assertThat(b.countJobs()).isEqualTo(1_999);
    } finally {
      pool.shutdownNow();
    }
    try (DurableStore store = DurableStore.open(options())) {
      Map<String, StoredJob> all = store.jobs().loadAll(IntStream.range(0, 2_000).mapToObj(i -> "job-" + i).toList());
      assertThat(all).hasSize(1_999).doesNotContainKey("job-2");
      assertThat(payload(all.get("job-1999"))).isEqualTo("payload 1999");
      assertThat(payload(all.get("job-0"))).isEqualTo("third");
    }
  }

  /**
   * The caller appends its own record: a record the journal refuses fails that write alone, names
   * the table and the bound, and leaves nothing in the file; writes before and after it are kept.
   * A write after the store closed is refused.
   */
  @Test
  void aRefusedRecordFailsOnlyItsOwnWriteAndTheJournalGoesOn() throws Exception {
    MapStore<String, StoredJob> jobs;
    long bytesBefore;
    try (DurableStore store = DurableStore.open(options())) {
      jobs = store.jobs();
      jobs.store("job-1", job("job-1", 1, "one"));
      bytesBefore = Files.size(dir.resolve(JournalStore.FILE));
      String longKey = "k".repeat(70_000);
      assertThatThrownBy(() -> jobs.store(longKey, job(longKey, 1, "too long")))
          .isInstanceOf(DurableStore.DurableStoreException.class)
          .hasMessageContaining("durable store write on hearth_jobs failed")
          .hasMessageContaining("a key of 70000 bytes (expected: at most 65535)");
      assertThat(Files.size(dir.resolve(JournalStore.FILE))).isEqualTo(bytesBefore);
      jobs.store("job-2", job("job-2", 1, "two"));
      assertThat(store.commitsAndRows()).containsExactly(2, 2);
    }
    assertThatThrownBy(() -> jobs.store("job-3", job("job-3", 1, "three")))
        .isInstanceOf(DurableStore.DurableStoreException.class).hasMessageContaining("is closed");
    try (DurableStore store = DurableStore.open(options())) {
      assertThat(payload(store.jobs().load("job-1"))).isEqualTo("one");
      assertThat(payload(store.jobs().load("job-2"))).isEqualTo("two");
      assertThat(store.jobs().load("job-3")).isNull();
      assertThat(store.countJobs()).isEqualTo(2);
    }
  }

  /**
   * Hazelcast's partition threads append and load here, and are interrupted when a member shuts
   * down. A channel used by an interrupted thread is closed for good; the journal must neither lose
   * such a caller's write nor stop working for everyone after it.
   */
  @Test
  void anInterruptedCallerNeitherLosesItsWriteNorClosesTheJournal() throws Exception {
    try (DurableStore store = DurableStore.open(options())) {
      MapStore<String, StoredJob> jobs = store.jobs();
      jobs.store("job-1", job("job-1", 1, "one"));
      Thread.currentThread().interrupt();
      try {
        jobs.store("job-2", job("job-2", 1, "two"));
        // A load by an interrupted thread may fail (its read channel closes under it) ...
        org.assertj.core.api.Assertions.catchThrowable(() -> jobs.load("job-1"));
      } finally {
        Thread.interrupted();
      }
      // ... and the loads after it read again, and the writes go on.
      assertThat(payload(jobs.load("job-1"))).isEqualTo("one");
      assertThat(payload(jobs.load("job-2"))).isEqualTo("two");
      jobs.store("job-3", job("job-3", 1, "three"));
      assertThat(payload(jobs.load("job-3"))).isEqualTo("three");
    }
    try (DurableStore store = DurableStore.open(options())) {
      assertThat(store.countJobs()).isEqualTo(3);
      assertThat(payload(store.jobs().load("job-2"))).isEqualTo("two");
    }
  }

  @Test
  void aJdbcUrlWithTheJournalIsRefusedNamingTheSetting() {
    assertThatThrownBy(() -> SchedulerOptions.builder().storeType(SchedulerOptions.StoreType.JOURNAL)
        .storeJdbc("jdbc:h2:mem:x", "", "").storeDataDir(dir.toString()).build())
        .hasMessage("store.jdbc-url: 'jdbc:h2:mem:x' (expected: empty when store.type is journal)");
  }
}
