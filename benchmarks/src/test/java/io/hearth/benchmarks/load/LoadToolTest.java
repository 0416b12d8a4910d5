package io.hearth.benchmarks.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

class LoadToolTest {

  @Test
  void defaultsAndFlags() {
    LoadOptions d = LoadOptions.parse();
    assertThat(d.nodes()).isEqualTo(500);
    assertThat(d.batchSize()).isEqualTo(100);
    assertThat(d.latencyFraction()).isEqualTo(0.5);
    assertThat(d.jfr()).isFalse();

    LoadOptions o = LoadOptions.parse("--nodes", "10_000", "--phase-seconds", "2.5", "--jfr", "true");
    assertThat(o.nodes()).isEqualTo(10_000);
    assertThat(o.phaseSeconds()).isEqualTo(2.5);
    assertThat(o.jfr()).isTrue();
  }

  @Test
  void badFlagsNameTheFlagAndItsBound() {
    assertThatThrownBy(() -> LoadOptions.parse("--nodes", "10001"))
        .hasMessage("--nodes: 10001 (expected: 1..10000)");
    assertThatThrownBy(() -> LoadOptions.parse("--in-flight", "many"))
        .hasMessage("--in-flight: 'many' (expected: an integer in 1..4096)");
    assertThatThrownBy(() -> LoadOptions.parse("--latency-fraction", "0"))
        .hasMessage("--latency-fraction: 0 (expected: 0.01..1.0)");
    assertThatThrownBy(() -> LoadOptions.parse("--skip-echo", "yes"))
        .hasMessage("--skip-echo: 'yes' (expected: true or false)");
    assertThatThrownBy(() -> LoadOptions.parse("--nodes")).hasMessage("--nodes: missing value");
    assertThatThrownBy(() -> LoadOptions.parse("--nodes", "1", "--nodes", "2")).hasMessage("--nodes: given twice");
    assertThatThrownBy(() -> LoadOptions.parse("--node", "1")).hasMessageStartingWith("unknown flag '--node'");
    assertThatThrownBy(() -> LoadOptions.parse("--scheduler-gc", "cms"))
        .hasMessage("--scheduler-gc: 'cms' (expected: one of shenandoah, g1, zgc)");
    assertThat(LoadOptions.parse("--scheduler-gc", "zgc").schedulerGc()).isEqualTo("zgc");
    assertThat(LoadOptions.parse().schedulerGc()).as("the scheduler image's").isEqualTo("shenandoah");
    assertThat(LoadOptions.parse("--scheduler-jvm-options", " -XX:+UnlockExperimentalVMOptions  -XX:G1NewSizePercent=1 ")
        .schedulerJvmOptions()).containsExactly("-XX:+UnlockExperimentalVMOptions", "-XX:G1NewSizePercent=1");
    assertThat(LoadOptions.parse().schedulerJvmOptions()).isEmpty();
    assertThatThrownBy(() -> LoadOptions.parse("--scheduler-jvm-options", "-Xmx1g; rm -rf /"))
        .hasMessage("--scheduler-jvm-options: 'rm' (expected: JVM options starting with '-', not -jar or a class path)");
    assertThatThrownBy(() -> LoadOptions.parse("--scheduler-jvm-options", "-jar other.jar"))
        .hasMessage("--scheduler-jvm-options: '-jar' (expected: JVM options starting with '-', not -jar or a class path)");
    assertThatThrownBy(() -> LoadOptions.parse("--job-retention-seconds", "-1"))
        .hasMessage("--job-retention-seconds: -1 (expected: 0..31536000)");
    assertThat(LoadOptions.parse("--job-retention-seconds", "60").jobRetentionSeconds()).isEqualTo(60);
    assertThat(LoadOptions.parse().jobRetentionSeconds()).as("the scheduler's own default").isEqualTo(-1);
  }

  @Test
  void connectionFloorFlagsNameTheFlagAndItsBound() {
    ConnectionFloor.Options d = ConnectionFloor.Options.parse();
    assertThat(d.connections()).isEqualTo(2000);
    assertThat(d.plaintext()).isTrue();
    assertThat(d.mtls()).isTrue();
    ConnectionFloor.Options tls = ConnectionFloor.Options.parse("--mode", "mtls", "--connections", "10_000");
    assertThat(tls.plaintext()).isFalse();
    assertThat(tls.connections()).isEqualTo(10_000);

    assertThatThrownBy(() -> ConnectionFloor.Options.parse("--connections", "0"))
        .hasMessage("--connections: '0' (expected an integer in 1..10000)");
    assertThatThrownBy(() -> ConnectionFloor.Options.parse("--mode", "tls"))
        .hasMessage("--mode: 'tls' (expected: plaintext, mtls or both)");
    assertThatThrownBy(() -> ConnectionFloor.Options.parse("--out", " ")).hasMessage("--out: empty (expected a file name)");
    assertThatThrownBy(() -> ConnectionFloor.Options.parse("--mode")).hasMessage("--mode: missing value");
    assertThatThrownBy(() -> ConnectionFloor.Options.parse("--nodes", "5")).hasMessageStartingWith("unknown flag '--nodes'");
  }

  @Test
  void heapInUseIsReadFromEachCollectorsHeapInfo() {
    assertThat(JvmProbe.heapUsed(" garbage-first heap   total 2097152K, used 51234K [0x0000000080000000, 0x0000000100000000)\n"))
        .isEqualTo(51234L * 1024);
    assertThat(JvmProbe.heapUsed(" ZHeap           used 20M, capacity 128M, max capacity 128M\n Metaspace       used 8905K"))
        .isEqualTo(20L * 1024 * 1024);
    assertThat(JvmProbe.heapUsed("Shenandoah Heap\n 128M max, 128M soft max, 128M committed, 14208K used\n"))
        .isEqualTo(14208L * 1024);
    assertThatThrownBy(() -> JvmProbe.heapUsed("Metaspace used 8905K")).hasMessageContaining("no 'used' figure");
  }

  @Test
  void assignLatencyMeetsWhicheverHalfComesFirst() throws InterruptedException {
    AssignLatency l = new AssignLatency();
    l.submitted("a", System.nanoTime() - 5_000_000); // response first, assignment later
    l.assigned("a");
    l.assigned("b"); // assignment first, response later
    l.submitted("b", System.nanoTime() - 1_000_000);
    l.assigned("c"); // never submitted here: no sample
    l.assigned("a"); // a second assignment of a job: a new pending half, no sample
    Histogram h = l.takeInterval();
    assertThat(h.getTotalCount()).isEqualTo(2);
    assertThat(h.getMaxValue()).isGreaterThanOrEqualTo(4_900);
    assertThat(l.assignedCount()).isEqualTo(4);
    assertThat(l.submittedCount()).isEqualTo(2);
    assertThat(l.backlog()).isZero();
    l.submitted("d", System.nanoTime());
    l.submitted("e", System.nanoTime());
    l.submitted("f", System.nanoTime());
    assertThat(l.backlog()).isEqualTo(1);
    assertThat(l.takeInterval().getTotalCount()).isZero();
  }

  @Test
  void jfrSummaryCountsTopFramesAndFirstHearthFrames() throws Exception {
    String text = """
        jdk.ExecutionSample {
          startTime = 21:00:00.000
          sampledThread = "grpc-default-executor-10" (javaThreadId = 654)
          stackTrace = [
            java.util.HashMap.get(Object) line: 10
            io.hearth.scheduler.scheduling.Placer.place(Job) line: 20
            io.hearth.scheduler.scheduling.Placer$Cycle.run() line: 25
            io.hearth.scheduler.api.JobServiceImpl.submitJob(SubmitJobRequest, StreamObserver) line: 30
            ...
          ]
        }

        jdk.ExecutionSample {
          sampledThread = "grpc-default-executor-7" (javaThreadId = 650)
          stackTrace = [
            io.hearth.scheduler.cluster.JobStore.put(String) line: 5
            io.netty.Foo.run() line: 1
          ]
        }
        """;
    JfrSummary s = JfrSummary.parse(new StringReader(text));
    assertThat(s.samples).isEqualTo(2);
    assertThat(s.topFrames).containsEntry("java.util.HashMap.get", 1).containsEntry("io.hearth.scheduler.cluster.JobStore.put", 1);
    assertThat(s.hearthClasses).containsEntry("io.hearth.scheduler.scheduling.Placer", 1)
        .containsEntry("io.hearth.scheduler.api.JobServiceImpl", 1)
        .containsEntry("io.hearth.scheduler.cluster.JobStore", 1).hasSize(3);
    assertThat(s.threads).containsExactly(java.util.Map.entry("grpc-default-executor-#", 2));
    assertThat(s.top(s.threads, 1)).containsExactly("100.0 % grpc-default-executor-#");
  }

  @Test
  void classGrowthIsPerAddedNodeLargestFirst() {
    java.util.Map<String, long[]> before = java.util.Map.of("[B", new long[] {10, 1_000}, "Gone", new long[] {5, 500},
        "Same", new long[] {1, 16});
    java.util.Map<String, long[]> after = java.util.Map.of("[B", new long[] {30, 5_000}, "New", new long[] {10, 1_000},
        "Same", new long[] {1, 16});
    assertThat(LoadMain.classGrowth(before, after, 10, 5)).containsExactly(
        "      400 B     2.0 objects  [B", "      100 B     1.0 objects  New");
  }

  @Test
  void markdownEscapesCellsAndShowsVerdicts() {
    LoadReport r = new LoadReport();
    r.context("date: today");
    r.row("a|b", "1 /s", "note");
    r.verdict("line", ">= 1", "2", true);
    r.verdict("other", ">= 1", "0", false);
    r.verdict("third", ">= 1", "-", null);
    String md = r.markdown();
    assertThat(md).contains("| a\\|b | 1 /s | note |").contains("| line | >= 1 | 2 | yes |")
        .contains("| other | >= 1 | 0 | **no** |").contains("| third | >= 1 | - | not measured |");
  }
}
