package io.hearth.worker.agent;

import io.hearth.api.v1.LogChunk;
import io.hearth.api.v1.LogChunkReply;
import io.hearth.api.v1.LogRequest;
import io.hearth.api.v1.LogStream;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's kept logs of its attempts: pumps each process's stdout and stderr into a
 * {@link BoundedLog} in the attempt's directory, answers the scheduler's log requests (live
 * attempts from memory, ended ones from disk, also after a restart), and applies the retention
 * rule: an attempt directory whose logs ended more than {@code retention} ago is deleted, and while
 * the ended attempts' directories take more than {@code maxTotalBytes}, the oldest go first.
 * Running attempts are never deleted. The rule is applied when an attempt ends, at most once a
 * minute.
 *
 * <p>Threading: each stream has its own pump thread; {@link #answer} and {@link #sweep} may run on
 * any thread (they touch the disk, so not on a gRPC or event-loop thread).
 */
final class AttemptLogs {

  private static final Logger log = LoggerFactory.getLogger(AttemptLogs.class);
  static final String STDOUT = "stdout";
  static final String STDERR = "stderr";
  public static final Duration DEFAULT_RETENTION = Duration.ofDays(7);
  public static final long DEFAULT_MAX_TOTAL_BYTES = 1L << 30;
  /** Sweeping walks every attempt directory: not after each of a burst of short attempts. */
  static final long SWEEP_EVERY_MS = 60_000;
  /** The largest chunk one reply carries, whatever the request asks. */
  static final int MAX_CHUNK = 1024 * 1024;

  private final Path workDir;
  private final Clock clock;
  private final Duration retention;
  private final long maxTotalBytes;
  private final long headLimit;
  private final long tailLimit;
  /** Disk work of every agent in this JVM (log reads, retention sweeps): never a gRPC or agent thread. */
  static final java.util.concurrent.ExecutorService IO = java.util.concurrent.Executors.newFixedThreadPool(2, r -> {
    Thread t = new Thread(r, "hearth-agent-logs");
    t.setDaemon(true);
    return t;
  });

  /** Logs of attempts whose streams are still open, by fencing token. */
  private final Map<Long, Live> live = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicLong lastSweep = new java.util.concurrent.atomic.AtomicLong(Long.MIN_VALUE / 2);

  private record Live(Path dir, BoundedLog out, BoundedLog err) {}

  AttemptLogs(Path workDir, Clock clock, Duration retention, long maxTotalBytes, long headLimit, long tailLimit) {
    this.workDir = workDir;
    this.clock = clock;
    this.retention = retention;
    this.maxTotalBytes = maxTotalBytes;
    this.headLimit = headLimit;
    this.tailLimit = tailLimit;
  }

  /**
   * Starts pumping a started process's output; the future completes once both streams ended (the
   * process and every child holding them closed them).
   */
  CompletableFuture<Void> pump(Path dir, String jobId, long token, Process process) throws IOException {
    BoundedLog out = new BoundedLog(dir, STDOUT, token, headLimit, tailLimit);
    BoundedLog err = new BoundedLog(dir, STDERR, token, headLimit, tailLimit);
    live.put(token, new Live(dir, out, err));
    CompletableFuture<Void> o = pump(process.getInputStream(), out, jobId + " stdout");
    CompletableFuture<Void> e = pump(process.getErrorStream(), err, jobId + " stderr");
    return CompletableFuture.allOf(o, e).whenComplete((x, t) -> {
      live.remove(token);
      sweepSoon();
    });
  }

  private static CompletableFuture<Void> pump(InputStream in, BoundedLog to, String what) {
    CompletableFuture<Void> done = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      byte[] buf = new byte[64 * 1024];
      try (in) {
        for (int n; (n = in.read(buf)) >= 0; ) {
          to.write(buf, 0, n);
        }
      } catch (IOException e) {
        log.warn("log of {} cut short: {}", what, e.getMessage());
      } finally {
        try {
          to.finish();
        } catch (IOException e) {
          log.warn("log of {} not finished: {}", what, e.getMessage());
        }
        done.complete(null);
      }
    }, "hearth-log-" + what);
    t.setDaemon(true);
    t.start();
    return done;
  }

  /** Answers one log request from the scheduler: a chunk of the kept log, or why there is none. */
  LogChunkReply answer(LogRequest r) {
    LogChunkReply.Builder reply = LogChunkReply.newBuilder().setRequestId(r.getRequestId());
    String name = r.getStream() == LogStream.LOG_STREAM_STDERR ? STDERR : STDOUT;
    int limit = (int) Math.min(MAX_CHUNK, r.getLimit() <= 0 ? MAX_CHUNK : r.getLimit());
    long offset = Math.max(0, r.getOffset());
    try {
      BoundedLog.Chunk c = null;
      Live l = live.get(r.getFencingToken());
      if (l != null && l.dir().getFileName().toString().startsWith(AttemptSupervisor.safeName(r.getJobId()) + "-")) {
        c = (name.equals(STDOUT) ? l.out() : l.err()).read(offset, limit);
      }
      if (c == null) {
        Path dir = find(r.getJobId(), r.getFencingToken());
        c = dir == null ? null : BoundedLog.readEnded(dir, name, r.getFencingToken(), offset, limit);
      }
      if (c == null) {
        return reply.setError("no log kept for job " + r.getJobId() + " token " + r.getFencingToken()
            + " on this node (never run here, or deleted by the retention rule)").build();
      }
      return reply.setChunk(LogChunk.newBuilder().setOffset(c.offset()).setData(ByteString.copyFrom(c.data()))
          .setKeptSize(c.keptSize()).setWrittenSize(c.writtenSize()).setTruncated(c.truncated())).build();
    } catch (IOException | RuntimeException e) {
      return reply.setError("log of job " + r.getJobId() + " unreadable: " + e.getMessage()).build();
    }
  }

  /** The directory of an ended attempt of this job with this token, or null. */
  private Path find(String jobId, long token) throws IOException {
    String prefix = AttemptSupervisor.safeName(jobId) + "-";
    if (!Files.isDirectory(workDir)) {
      return null;
    }
    try (Stream<Path> dirs = Files.list(workDir)) {
      return dirs.filter(d -> d.getFileName().toString().startsWith(prefix))
          .filter(d -> BoundedLog.tokenOf(d, STDOUT) == token)
          .findFirst().orElse(null);
    }
  }

  /** Sweeps on the IO pool after an attempt ended, at most once per {@value #SWEEP_EVERY_MS} ms. */
  private void sweepSoon() {
    long now = clock.millis();
    long last = lastSweep.get();
    if (now - last >= SWEEP_EVERY_MS && lastSweep.compareAndSet(last, now)) {
      IO.execute(this::sweep);
    }
  }

  /** Applies the retention rule to the attempt directories of ended attempts; returns how many it deleted. */
  int sweep() {
    if (!Files.isDirectory(workDir)) {
      return 0;
    }
    record Ended(Path dir, long endedMillis, long bytes) {}
    List<Ended> ended = new ArrayList<>();
    try (Stream<Path> dirs = Files.list(workDir)) {
      for (Path d : (Iterable<Path>) dirs::iterator) {
        Path meta = d.resolve(STDOUT + ".meta");
        Path errMeta = d.resolve(STDERR + ".meta");
        if (Files.isDirectory(d) && Files.exists(meta) && Files.exists(errMeta) && !isLive(d)) {
          ended.add(new Ended(d, Math.max(Files.getLastModifiedTime(meta).toMillis(),
              Files.getLastModifiedTime(errMeta).toMillis()), size(d)));
        }
      }
    } catch (IOException e) {
      log.warn("log retention sweep of {} failed: {}", workDir, e.getMessage());
      return 0;
    }
    ended.sort(Comparator.comparingLong(Ended::endedMillis));
    long total = ended.stream().mapToLong(Ended::bytes).sum();
    long oldest = clock.millis() - retention.toMillis();
    int deleted = 0;
    for (Ended e : ended) {
      if (e.endedMillis() >= oldest && total <= maxTotalBytes) {
        break;
      }
      if (delete(e.dir())) {
        total -= e.bytes();
        deleted++;
      }
    }
    if (deleted > 0) {
      log.info("deleted {} ended attempt directories under {} (retention {}, cap {} bytes)", deleted, workDir,
          retention, maxTotalBytes);
    }
    return deleted;
  }

  private boolean isLive(Path dir) {
    for (Live l : live.values()) {
      if (l.dir().equals(dir)) {
        return true;
      }
    }
    return false;
  }

  private static long size(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private static boolean delete(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
      return true;
    } catch (IOException e) {
      log.warn("could not delete {}: {}", dir, e.getMessage());
      return false;
    }
  }
}
