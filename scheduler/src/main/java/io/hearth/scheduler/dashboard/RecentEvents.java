package io.hearth.scheduler.dashboard;

import io.hearth.api.v1.Attempt;
import io.hearth.api.v1.AttemptState;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobEvent;
import io.hearth.api.v1.JobState;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;

/**
 * The last failures and preemptions the dashboard lists, taken from the job events every member
 * publishes: an attempt that just ended FAILED, TIMED_OUT, LOST or PREEMPTED, or a job that ended
 * FAILED or EXPIRED. Bounded to {@link #CAPACITY}; thread-safe (synchronized, cheap).
 */
final class RecentEvents {

  static final int CAPACITY = 30;
  private static final int MAX_REASON = 160;

  private final ArrayDeque<JsonObject> events = new ArrayDeque<>();
  private long version;

  /** Looks at one job event; returns true when it was kept. */
  synchronized boolean offer(JobEvent event) {
    Job job = event.getJob();
    JsonObject e = describe(job);
    if (e == null) {
      return false;
    }
    events.addFirst(e.put("at", event.getTime().getSeconds() * 1000 + event.getTime().getNanos() / 1_000_000));
    while (events.size() > CAPACITY) {
      events.removeLast();
    }
    version++;
    return true;
  }

  synchronized long version() {
    return version;
  }

  synchronized JsonArray toJson() {
    return new JsonArray(new java.util.ArrayList<>(events));
  }

  private static JsonObject describe(Job job) {
    String tier = job.getSpec().getTier().name().replace("TIER_", "");
    if (job.getAttemptsCount() > 0) {
      Attempt a = job.getAttempts(job.getAttemptsCount() - 1);
      boolean justEnded = a.hasEndedAt() && a.getEndedAt().equals(job.getUpdatedAt());
      AttemptState s = a.getState();
      if (justEnded && (s == AttemptState.ATTEMPT_STATE_FAILED || s == AttemptState.ATTEMPT_STATE_TIMED_OUT
          || s == AttemptState.ATTEMPT_STATE_LOST || s == AttemptState.ATTEMPT_STATE_PREEMPTED)) {
        return new JsonObject()
            .put("kind", s.name().replace("ATTEMPT_STATE_", ""))
            .put("jobId", job.getJobId())
            .put("tier", tier)
            .put("nodeId", a.getNodeId())
            .put("attempt", a.getNumber())
            .put("jobState", job.getState().name().replace("JOB_STATE_", ""))
            .put("reason", trim(a.getReason()));
      }
    }
    if (job.getState() == JobState.JOB_STATE_FAILED || job.getState() == JobState.JOB_STATE_EXPIRED) {
      if (job.getAttemptsCount() > 0 && job.getAttempts(job.getAttemptsCount() - 1).getEndedAt().equals(job.getUpdatedAt())) {
        return null; // already listed as its last attempt's end
      }
      return new JsonObject()
          .put("kind", job.getState().name().replace("JOB_STATE_", ""))
          .put("jobId", job.getJobId())
          .put("tier", tier)
          .put("jobState", job.getState().name().replace("JOB_STATE_", ""))
          .put("reason", trim(job.getStateReason()));
    }
    return null;
  }

  private static String trim(String s) {
    return s.length() <= MAX_REASON ? s : s.substring(0, MAX_REASON) + "...";
  }
}
