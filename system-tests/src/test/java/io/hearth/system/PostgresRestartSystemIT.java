package io.hearth.system;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.SubmitJobResponse;
import io.hearth.api.v1.SubmitJobsRequest;
import io.hearth.client.Retrying;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Issue 7's acceptance 4: with PostgreSQL selected as the durable store (Debian's server on
 * 127.0.0.1, started by {@code .ci/run}), stopping and starting all three members keeps every
 * acknowledged job with its state and attempts. A missing server fails the test, never skips it.
 */
class PostgresRestartSystemIT {

  private static final Logger LOG = LoggerFactory.getLogger(PostgresRestartSystemIT.class);
  static final String HOST_URL = System.getenv().getOrDefault("HEARTH_TEST_PG_URL", "jdbc:postgresql://127.0.0.1:5432/");
  static final String USER = System.getenv().getOrDefault("HEARTH_TEST_PG_USER", "hearth");
  static final String PASSWORD = System.getenv().getOrDefault("HEARTH_TEST_PG_PASSWORD", "hearth");
  static final String DATABASE = "hearth_system_test";
  static final int JOBS = 500;

  @Test
  void aFullRestartOnPostgresqlKeepsEveryAcknowledgedJob() throws Exception {
    freshDatabase();
    Map<String, String> store = Map.of("HEARTH_STORE_TYPE", "postgresql", "HEARTH_STORE_JDBC_URL", HOST_URL + DATABASE,
        "HEARTH_STORE_USER", USER, "HEARTH_STORE_PASSWORD", PASSWORD);
    try (DockerHearth hearth = new DockerHearth(3, store)) {
      hearth.startSchedulers();
      hearth.startWorkers(100, 2, "fr-paris");
      JobServiceGrpc.JobServiceBlockingStub acme = hearth.jobs("tenant/acme");
      Retrying retrying = Retrying.upTo(Duration.ofSeconds(60));
      Map<String, Job> acknowledged = new HashMap<>();
      for (int b = 0; b < JOBS / 100; b++) {
        SubmitJobsRequest.Builder req = SubmitJobsRequest.newBuilder();
        for (int i = b * 100; i < (b + 1) * 100; i++) {
          // Every fifth job waits for a region no node has: QUEUED jobs must survive too.
          req.addSpecs(HighAvailabilitySystemIT.spec("pg-" + i, "").toBuilder()
              .addAllowedRegions(i % 5 == 0 ? "nowhere" : "fr-paris").build());
        }
        SubmitJobsRequest request = req.build();
        for (SubmitJobResponse r : retrying.call(() -> acme.withDeadlineAfter(20, TimeUnit.SECONDS).submitJobs(request))
            .getResultsList()) {
          acknowledged.put(r.getJob().getJobId(), r.getJob());
        }
      }
      await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).until(() -> hearth.allJobs().values()
          .stream().filter(j -> j.getState() == JobState.JOB_STATE_SUCCEEDED).count() == JOBS * 4 / 5);
      Map<String, Job> before = hearth.allJobs();
      assertThat(rows()).isEqualTo(before.size());

      hearth.restartSchedulers();
      await().atMost(Duration.ofSeconds(60)).until(() -> hearth.leader() >= 0);
      Map<String, Job> after = hearth.allJobs();
      for (String id : acknowledged.keySet()) {
        assertThat(after.get(id)).as(id).isNotNull();
        assertThat(after.get(id).getState()).as(id).isEqualTo(before.get(id).getState());
        assertThat(after.get(id).getAttemptsList()).as(id).isEqualTo(before.get(id).getAttemptsList());
      }
      long queued = after.values().stream().filter(j -> j.getState() == JobState.JOB_STATE_QUEUED).count();
      LOG.info("SYSTEM acceptance 4 (postgresql): {} of {} acknowledged jobs back after a full restart ({} succeeded,"
          + " {} still queued), {} rows in PostgreSQL", acknowledged.size(), acknowledged.size(),
          JOBS * 4 / 5, queued, rows());
    }
  }

  static void freshDatabase() throws SQLException {
    try (Connection c = connect(HOST_URL + "postgres"); Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS " + DATABASE);
      s.execute("CREATE DATABASE " + DATABASE);
    }
  }

  static long rows() throws SQLException {
    try (Connection c = connect(HOST_URL + DATABASE); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM hearth_jobs")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static Connection connect(String url) throws SQLException {
    try {
      return DriverManager.getConnection(url, USER, PASSWORD);
    } catch (SQLException e) {
      throw new SQLException("PostgreSQL is required by this test and " + url + " refused (" + e.getMessage()
          + "): run `bash .ci/run` (or .ci/postgres-setup) to install and start it", e);
    }
  }
}
