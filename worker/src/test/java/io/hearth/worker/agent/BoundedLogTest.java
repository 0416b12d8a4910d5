package io.hearth.worker.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BoundedLogTest {

  @TempDir Path dir;

  static byte[] all(BoundedLog.Chunk c) {
    return c.data();
  }

  static byte[] readAll(BoundedLog log, int chunk) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    long offset = 0;
    while (true) {
      BoundedLog.Chunk c = log.read(offset, chunk);
      out.writeBytes(c.data());
      offset += c.data().length;
      if (c.data().length == 0 || offset >= c.keptSize()) {
        return out.toByteArray();
      }
    }
  }

  @Test
  void outputWithinTheHeadIsKeptWholeInThePlainLogFile() throws Exception {
    BoundedLog log = new BoundedLog(dir, "stdout", 7, 16, 8);
    log.write("hello\n".getBytes(), 0, 6);
    log.finish();
    assertThat(Files.readString(dir.resolve("stdout.log"))).isEqualTo("hello\n");
    BoundedLog.Chunk c = BoundedLog.readEnded(dir, "stdout", 7, 0, 100);
    assertThat(new String(c.data())).isEqualTo("hello\n");
    assertThat(c.truncated()).isFalse();
    assertThat(c.keptSize()).isEqualTo(6);
    assertThat(c.writtenSize()).isEqualTo(6);
    assertThat(BoundedLog.readEnded(dir, "stdout", 8, 0, 100)).as("another token's log").isNull();
  }

  @Test
  void outputBetweenHeadAndTailIsKeptWithoutAMarker() throws Exception {
    BoundedLog log = new BoundedLog(dir, "stdout", 1, 4, 8);
    log.write("abcdefghij".getBytes(), 0, 10);
    assertThat(new String(readAll(log, 3))).isEqualTo("abcdefghij");
    assertThat(log.read(0, 100).truncated()).isFalse();
  }

  @Test
  void longOutputKeepsHeadMarkerAndTailInOrderWhateverTheWriteSizes() throws Exception {
    Random random = new Random(3);
    for (int round = 0; round < 20; round++) {
      Path d = Files.createDirectory(dir.resolve("r" + round));
      int head = 1 + random.nextInt(50);
      int tail = 1 + random.nextInt(50);
      int total = random.nextInt(400);
      byte[] data = new byte[total];
      for (int i = 0; i < total; i++) {
        data[i] = (byte) ('a' + i % 26);
      }
      BoundedLog log = new BoundedLog(d, "stderr", 1, head, tail);
      for (int at = 0; at < total; ) {
        int n = Math.min(total - at, 1 + random.nextInt(120));
        log.write(data, at, n);
        at += n;
      }
      log.finish();
      ByteArrayOutputStream expected = new ByteArrayOutputStream();
      if (total <= head + tail) {
        expected.write(data, 0, total);
      } else {
        expected.write(data, 0, head);
        expected.writeBytes(BoundedLog.marker(total - head - tail).getBytes(StandardCharsets.US_ASCII));
        expected.write(data, total - tail, tail);
      }
      BoundedLog.Chunk first = BoundedLog.readEnded(d, "stderr", 1, 0, 1 << 20);
      assertThat(first.data()).as("round %s: head %s tail %s total %s", round, head, tail, total)
          .isEqualTo(expected.toByteArray());
      assertThat(first.truncated()).isEqualTo(total > head + tail);
      assertThat(first.writtenSize()).isEqualTo(total);
      int off = random.nextInt(expected.size() + 1);
      assertThat(BoundedLog.readEnded(d, "stderr", 1, off, 7).data()).isEqualTo(
          java.util.Arrays.copyOfRange(expected.toByteArray(), off, Math.min(expected.size(), off + 7)));
    }
  }

  @Test
  void retentionDeletesOldEndedAttemptsThenTheOldestBeyondTheCap() throws Exception {
    Instant now = Instant.parse("2026-01-15T08:00:00Z");
    AttemptLogs logs = new AttemptLogs(dir, Clock.fixed(now, ZoneOffset.UTC), Duration.ofHours(1), 250, 100, 100);
    Path old = ended("job-old-1", 100, now.minus(Duration.ofHours(2)));
    Path older = ended("job-b-1", 100, now.minus(Duration.ofMinutes(30)));
    Path newer = ended("job-c-1", 100, now.minus(Duration.ofMinutes(10)));
    Path newest = ended("job-d-1", 100, now.minus(Duration.ofMinutes(1)));
    Path running = Files.createDirectory(dir.resolve("job-e-1"));
    assertThat(logs.sweep()).isEqualTo(3);
    assertThat(old).doesNotExist();
    assertThat(older).doesNotExist();
    assertThat(newer).doesNotExist();
    assertThat(newest).exists();
    assertThat(running).exists();
  }

  private Path ended(String name, int bytes, Instant at) throws Exception {
    Path d = Files.createDirectory(dir.resolve(name));
    BoundedLog out = new BoundedLog(d, "stdout", 1, 1000, 1000);
    out.write(new byte[bytes], 0, bytes);
    out.finish();
    new BoundedLog(d, "stderr", 1, 1000, 1000).finish();
    for (String f : new String[] {"stdout.meta", "stderr.meta"}) {
      Files.setLastModifiedTime(d.resolve(f), java.nio.file.attribute.FileTime.from(at));
    }
    return d;
  }
}
