package io.hearth.worker.agent;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * One stream (stdout or stderr) of one attempt, kept on disk within a bound: the first
 * {@code headLimit} bytes in {@code <name>.log}, the last {@code tailLimit} bytes in a ring file
 * {@code <name>.tail}, and, once the stream ended, the count of bytes written and the attempt's
 * fencing token in {@code <name>.meta}. Read back as one "kept log": the head, then (when bytes
 * were dropped between them) the marker line {@code "\n[hearth: N bytes truncated]\n"}, then the
 * tail in order. Output that fits the head is the plain {@code <name>.log} file.
 *
 * <p>Thread-safe: the pump thread writes while log requests read, under this object's lock.
 */
final class BoundedLog implements AutoCloseable {

  static final long DEFAULT_HEAD = 4L * 1024 * 1024;
  static final long DEFAULT_TAIL = 4L * 1024 * 1024;

  /** A piece of the kept log. */
  record Chunk(long offset, byte[] data, long keptSize, long writtenSize, boolean truncated) {}

  private final Path head;
  private final Path tail;
  private final Path meta;
  private final long headLimit;
  private final long tailLimit;
  private final long token;
  private FileChannel headOut;
  private FileChannel tailOut;
  private long written;
  private boolean finished;

  BoundedLog(Path dir, String name, long token, long headLimit, long tailLimit) throws IOException {
    this.head = dir.resolve(name + ".log");
    this.tail = dir.resolve(name + ".tail");
    this.meta = dir.resolve(name + ".meta");
    this.token = token;
    this.headLimit = headLimit;
    this.tailLimit = tailLimit;
    this.headOut = FileChannel.open(head, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
  }

  synchronized void write(byte[] b, int off, int len) throws IOException {
    if (finished) {
      return;
    }
    int toHead = (int) Math.max(0, Math.min(len, headLimit - written));
    if (toHead > 0) {
      writeFully(headOut, ByteBuffer.wrap(b, off, toHead), written);
    }
    long afterHead = written + toHead - headLimit; // bytes already past the head
    int rest = len - toHead;
    int at = off + toHead;
    if (rest > 0 && tailOut == null) {
      tailOut = FileChannel.open(tail, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING);
    }
    // Of a write longer than the ring only its last tailLimit bytes can survive.
    if (rest > tailLimit) {
      long skip = rest - tailLimit;
      afterHead += skip;
      at += (int) skip;
      rest = (int) tailLimit;
    }
    while (rest > 0) {
      long pos = Math.max(0, afterHead) % tailLimit;
      int n = (int) Math.min(rest, tailLimit - pos);
      writeFully(tailOut, ByteBuffer.wrap(b, at, n), pos);
      afterHead += n;
      at += n;
      rest -= n;
    }
    written += len;
  }

  /** The stream ended: records what was written so the log can be read after the agent restarts. */
  synchronized void finish() throws IOException {
    if (finished) {
      return;
    }
    finished = true;
    close();
    Files.writeString(meta, token + " " + written + " " + headLimit + " " + tailLimit + "\n", StandardCharsets.US_ASCII);
  }

  synchronized long written() {
    return written;
  }

  synchronized Chunk read(long offset, int limit) throws IOException {
    return read(head, tail, written, headLimit, tailLimit, offset, limit);
  }

  /** Reads an ended log from its files; null when there is none for this token. */
  static Chunk readEnded(Path dir, String name, long token, long offset, int limit) throws IOException {
    Path meta = dir.resolve(name + ".meta");
    if (!Files.exists(meta)) {
      return null;
    }
    String[] f = Files.readString(meta, StandardCharsets.US_ASCII).trim().split(" ");
    if (f.length != 4 || Long.parseLong(f[0]) != token) {
      return null;
    }
    return read(dir.resolve(name + ".log"), dir.resolve(name + ".tail"), Long.parseLong(f[1]), Long.parseLong(f[2]),
        Long.parseLong(f[3]), offset, limit);
  }

  /** The fencing token an ended log in {@code dir} belongs to, or -1. */
  static long tokenOf(Path dir, String name) {
    try {
      String[] f = Files.readString(dir.resolve(name + ".meta"), StandardCharsets.US_ASCII).trim().split(" ");
      return Long.parseLong(f[0]);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  static String marker(long dropped) {
    return "\n[hearth: " + dropped + " bytes truncated]\n";
  }

  private static Chunk read(Path head, Path tail, long written, long headLimit, long tailLimit, long offset, int limit)
      throws IOException {
    long h = Math.min(written, headLimit);
    long t = written - h;
    boolean truncated = t > tailLimit;
    byte[] mark = truncated ? marker(t - tailLimit).getBytes(StandardCharsets.US_ASCII) : new byte[0];
    long start = truncated ? t % tailLimit : 0;
    long kept = h + mark.length + Math.min(t, tailLimit);
    // Segments of the kept log: {file (0 head, 1 tail, 2 marker), position, length}.
    long[][] segments = truncated
        ? new long[][] {{0, 0, h}, {2, 0, mark.length}, {1, start, tailLimit - start}, {1, 0, start}}
        : new long[][] {{0, 0, h}, {1, 0, t}};
    long from = Math.min(offset, kept);
    int n = (int) Math.min(limit, kept - from);
    byte[] out = new byte[n];
    int filled = 0;
    long segStart = 0;
    try (FileChannel hc = FileChannel.open(head, StandardOpenOption.READ);
        FileChannel tc = t > 0 ? FileChannel.open(tail, StandardOpenOption.READ) : null) {
      for (long[] s : segments) {
        long segEnd = segStart + s[2];
        long pos = from + filled;
        if (filled < n && pos < segEnd && pos >= segStart) {
          int take = (int) Math.min(n - filled, segEnd - pos);
          long within = s[1] + (pos - segStart);
          if (s[0] == 2) {
            System.arraycopy(mark, (int) within, out, filled, take);
          } else {
            readFully(s[0] == 0 ? hc : tc, ByteBuffer.wrap(out, filled, take), within);
          }
          filled += take;
        }
        segStart = segEnd;
      }
    }
    return new Chunk(from, out, kept, written, truncated);
  }

  private static void writeFully(FileChannel c, ByteBuffer b, long position) throws IOException {
    long p = position;
    while (b.hasRemaining()) {
      p += c.write(b, p);
    }
  }

  private static void readFully(FileChannel c, ByteBuffer b, long position) throws IOException {
    long p = position;
    while (b.hasRemaining()) {
      int n = c.read(b, p);
      if (n < 0) {
        // A ring slot not yet written reads as zeros; cannot happen for a consistent log.
        break;
      }
      p += n;
    }
  }

  @Override
  public synchronized void close() throws IOException {
    if (headOut != null) {
      headOut.close();
      headOut = null;
    }
    if (tailOut != null) {
      tailOut.close();
      tailOut = null;
    }
  }
}
