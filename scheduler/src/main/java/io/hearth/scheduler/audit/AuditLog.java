package io.hearth.scheduler.audit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The append-only audit log: one JSON line per submission, cancellation, placement, preemption
 * and admin action, with the acting identity and the time. Callers never block on the disk: lines
 * go through a bounded queue to one writer thread ({@code hearth-audit}) that appends and flushes
 * each batch. Values are what the caller passes: never a secret value (jobs carry only secret
 * references). Thread-safe.
 */
public final class AuditLog implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
  private static final int QUEUE_BOUND = 1_000_000;
  private static final String STOP = "\u0000stop";

  private final Path file;
  private final Clock clock;
  private final BlockingQueue<String> queue = new LinkedBlockingQueue<>(QUEUE_BOUND);
  private final Thread writer;
  private final Writer out;
  private volatile long dropped;

  private AuditLog(Path file, Clock clock) throws IOException {
    this.file = file;
    this.clock = clock;
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    this.out = Files.newBufferedWriter(file, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
        StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    this.writer = new Thread(this::drain, "hearth-audit");
    this.writer.setDaemon(true);
    this.writer.start();
  }

  public static AuditLog open(Path file, Clock clock) {
    try {
      return new AuditLog(file, clock);
    } catch (IOException e) {
      throw new UncheckedIOException("audit.file: '" + file + "' cannot be opened for appending (" + e.getMessage() + ")", e);
    }
  }

  public Path file() {
    return file;
  }

  /** Records one action: who did it, what, on which subject (a job or node id), with details. */
  public void record(String identity, String action, String subject, String detail) {
    String line = "{\"time\":\"" + clock.instant() + "\",\"identity\":" + quote(identity) + ",\"action\":" + quote(action)
        + ",\"subject\":" + quote(subject) + ",\"detail\":" + quote(detail) + "}";
    if (!queue.offer(line)) {
      dropped++;
    }
  }

  private void drain() {
    List<String> batch = new ArrayList<>();
    try {
      while (true) {
        String first = queue.poll(1, TimeUnit.SECONDS);
        if (first == null) {
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, 10_000);
        boolean stop = false;
        for (String line : batch) {
          if (line == STOP) {
            stop = true;
            continue;
          }
          out.write(line);
          out.write('\n');
        }
        out.flush();
        batch.clear();
        if (stop) {
          return;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      LOG.error("audit log {} cannot be written: {}", file, e.getMessage());
    }
  }

  /** Writes what is queued and closes the file. */
  @Override
  public void close() {
    try {
      queue.put(STOP);
      writer.join(TimeUnit.SECONDS.toMillis(10));
      out.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (IOException e) {
      LOG.warn("audit log {} did not close cleanly: {}", file, e.getMessage());
    }
    if (dropped > 0) {
      LOG.error("audit log dropped {} lines (queue full)", dropped);
    }
  }

  static String quote(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder b = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }
}
