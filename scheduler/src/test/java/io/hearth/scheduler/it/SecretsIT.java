package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobEvent;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.ListJobsRequest;
import io.hearth.api.v1.SecretRef;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.WatchJobsRequest;
import io.hearth.api.v1.Workload;
import io.hearth.worker.agent.NodeAgent;
import io.hearth.worker.agent.SecretStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A secret is resolved only on the assigned node and reaches only the job's process: not the
 * scheduler's records, answers, events, audit log, nor any log line of the whole run.
 */
class SecretsIT {

  static final String SECRET = "sk-live-7Hq2vX9c4Pz";

  @TempDir Path work;

  @Test
  void aSecretValueAppearsInNoLogEventOrAnswer() throws Exception {
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    ch.qos.logback.classic.Logger root =
        (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    root.setLevel(ch.qos.logback.classic.Level.DEBUG);
    logs.start();
    root.addAppender(logs);
    List<JobEvent> events = new CopyOnWriteArrayList<>();
    Path secrets = Files.createDirectories(work.resolve("secrets"));
    Files.writeString(secrets.resolve("pricing-api-token"), SECRET + "\n");
    try (TestScheduler hearth = TestScheduler.start(TestScheduler.options().build());
        NodeAgent node = Agents.base(hearth, "vault-node", work, "CERTIFIED")
            .kind(io.hearth.api.v1.NodeKind.NODE_KIND_DATACENTER).cores(4).memoryMib(8192).maxWatts(100).wattsPerCore(20)
            .region("secret-region").secrets(SecretStore.directory(secrets)).build().start()) {
      io.grpc.Context.CancellableContext ctx = io.grpc.Context.current().withCancellation();
      ctx.run(() -> JobServiceGrpc.newStub(hearth.channel("tenant/bank")).watchJobs(WatchJobsRequest.getDefaultInstance(),
          new StreamObserver<>() {
            @Override public void onNext(JobEvent e) { events.add(e); }
            @Override public void onError(Throwable t) {}
            @Override public void onCompleted() {}
          }));
      hearth.jobs("tenant/bank").listJobs(ListJobsRequest.getDefaultInstance());
      // The job proves it got the value (its SHA-256 matches) without the value being written anywhere.
      String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
          .digest(SECRET.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
      Job job = hearth.jobs("tenant/bank").submitJob(SubmitJobRequest.newBuilder().setSpec(TestScheduler.spec("uses-secret")
          .addAllowedRegions("secret-region")
          .setWorkload(Workload.newBuilder().addArgv("sh").addArgv("-c").addArgv("[ \"$(printf %s \"$API_TOKEN\" | sha256sum | cut -c1-64)\" = " + sha
                  + " ] && echo token present")
              .addSecrets(SecretRef.newBuilder().setEnvName("API_TOKEN").setKey("pricing-api-token")))).build()).getJob();
      JobServiceGrpc.JobServiceBlockingStub bank = hearth.jobs("tenant/bank");
      await().atMost(Duration.ofSeconds(30)).until(() ->
          bank.getJob(GetJobRequest.newBuilder().setJobId(job.getJobId()).build()).getState() == JobState.JOB_STATE_SUCCEEDED);
      await().atMost(Duration.ofSeconds(10)).until(() -> events.stream().anyMatch(e -> e.getJob().getState() == JobState.JOB_STATE_SUCCEEDED));
      ctx.cancel(null);

      StringBuilder everything = new StringBuilder();
      everything.append(bank.getJob(GetJobRequest.newBuilder().setJobId(job.getJobId()).build()));
      everything.append(bank.listJobs(ListJobsRequest.getDefaultInstance()));
      everything.append(hearth.jobs("operator/ops").listJobs(ListJobsRequest.getDefaultInstance()));
      events.forEach(everything::append);
      node.completedAttempts().forEach(everything::append);
      hearth.scheduler.close();
      everything.append(Files.readString(Path.of(hearth.scheduler.options().auditFile())));
      for (ILoggingEvent e : logs.list) {
        everything.append(e.getFormattedMessage()).append('\n');
        if (e.getThrowableProxy() != null) {
          everything.append(ThrowableProxyUtil.asString(e.getThrowableProxy()));
        }
      }
      String stdout;
      try (Stream<Path> files = Files.walk(work.resolve("vault-node"))) {
        stdout = files.filter(p -> p.getFileName().toString().startsWith("std")).map(p -> {
          try {
            return Files.readString(p);
          } catch (java.io.IOException ex) {
            return "";
          }
        }).reduce("", String::concat);
      }
      everything.append(stdout);

      assertThat(stdout).contains("token present");
      assertThat(everything.toString()).contains("pricing-api-token", "API_TOKEN");
      assertThat(logs.list).hasSizeGreaterThan(5);
      assertThat(everything.toString()).doesNotContain(SECRET).doesNotContain(SECRET.substring(8));
    } finally {
      root.detachAppender(logs);
      root.setLevel(ch.qos.logback.classic.Level.INFO);
    }
  }
}
