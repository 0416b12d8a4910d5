package io.hearth.scheduler.api;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.CancelJobRequest;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobEvent;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.ListJobsRequest;
import io.hearth.api.v1.ListJobsResponse;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.SubmitJobResponse;
import io.hearth.api.v1.SubmitJobsRequest;
import io.hearth.api.v1.SubmitJobsResponse;
import io.hearth.api.v1.Tier;
import io.hearth.api.v1.WatchJobsRequest;
import io.hearth.scheduler.audit.AuditLog;
import io.hearth.scheduler.cluster.JobStore;
import io.hearth.scheduler.job.JobLifecycle;
import io.hearth.scheduler.scheduling.JobEvents;
import io.hearth.scheduler.scheduling.ClusterPlacement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code hearth.v1.JobService}: submission, queries, cancellation and watching, each scoped to the
 * caller's identity (another owner's job answers NOT_FOUND, never PERMISSION_DENIED, so existence
 * does not leak). Runs on gRPC's executor threads: the Hazelcast calls it makes block those, never
 * an event loop.
 */
public final class JobServiceImpl extends JobServiceGrpc.JobServiceImplBase {

  public static final int MAX_BATCH = 1000;
  public static final int DEFAULT_PAGE_SIZE = 100;
  public static final int MAX_PAGE_SIZE = 1000;
  public static final int MAX_WATCHED_JOBS = 1000;

  private final JobStore store;
  private final ClusterPlacement placer;
  private final JobEvents events;
  private final Clock clock;
  private final AuditLog audit;
  private final io.hearth.scheduler.donation.DonationLedger ledger;

  public JobServiceImpl(JobStore store, ClusterPlacement placer, JobEvents events, Clock clock, AuditLog audit,
      io.hearth.scheduler.donation.DonationLedger ledger) {
    this.ledger = ledger;
    this.store = store;
    this.placer = placer;
    this.events = events;
    this.clock = clock;
    this.audit = audit;
  }

  @Override
  public void submitJob(SubmitJobRequest request, StreamObserver<SubmitJobResponse> out) {
    StatusMapper.respond(out, () -> {
      Identity who = submitter();
      if (!request.hasSpec()) {
        throw HearthException.invalid("spec: missing (expected: a job spec)");
      }
      JobSpec spec = JobSpecValidator.validate("spec", request.getSpec());
      checkTier(who, "spec", spec);
      return accept(who, spec);
    });
  }

  @Override
  public void submitJobs(SubmitJobsRequest request, StreamObserver<SubmitJobsResponse> out) {
    StatusMapper.respond(out, () -> {
      Identity who = submitter();
      int n = request.getSpecsCount();
      if (n < 1 || n > MAX_BATCH) {
        throw HearthException.invalid("specs: " + n + " entries (expected: 1.." + MAX_BATCH + ")");
      }
      // All or nothing: every spec is checked before any is accepted.
      List<JobSpec> specs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        JobSpec spec = JobSpecValidator.validate("specs[" + i + "]", request.getSpecs(i));
        checkTier(who, "specs[" + i + "]", spec);
        specs.add(spec);
      }
      SubmitJobsResponse.Builder b = SubmitJobsResponse.newBuilder();
      for (JobSpec spec : specs) {
        b.addResults(accept(who, spec));
      }
      return b.build();
    });
  }

  @Override
  public void getJob(GetJobRequest request, StreamObserver<Job> out) {
    StatusMapper.respond(out, () -> visibleJob(Identity.current(), request.getJobId()));
  }

  @Override
  public void listJobs(ListJobsRequest request, StreamObserver<ListJobsResponse> out) {
    StatusMapper.respond(out, () -> {
      Identity who = reader();
      int size = request.getPageSize() == 0 ? DEFAULT_PAGE_SIZE : request.getPageSize();
      if (size < 1 || size > MAX_PAGE_SIZE) {
        throw HearthException.invalid("page_size: " + request.getPageSize() + " (expected: 1.." + MAX_PAGE_SIZE + ")");
      }
      if (request.getTier() == Tier.UNRECOGNIZED) {
        throw HearthException.invalid("tier: " + request.getTierValue() + " (expected: a Tier value or TIER_UNSPECIFIED)");
      }
      Set<JobState> states = new HashSet<>();
      for (int i = 0; i < request.getStatesCount(); i++) {
        JobState s = request.getStates(i);
        if (s == JobState.UNRECOGNIZED || s == JobState.JOB_STATE_UNSPECIFIED) {
          throw HearthException.invalid("states[" + i + "]: " + request.getStatesValue(i) + " (expected: a JobState value)");
        }
        states.add(s);
      }
      if (request.getPageToken().length() > 64) {
        throw HearthException.invalid("page_token: " + request.getPageToken().length() + " characters (expected: at most 64)");
      }
      String owner = who.role() == Identity.Role.OPERATOR ? null : who.id();
      List<Job> page = store.list(owner, states, request.getTierValue(), request.getPageToken(), size + 1);
      ListJobsResponse.Builder b = ListJobsResponse.newBuilder();
      for (int i = 0; i < Math.min(size, page.size()); i++) {
        b.addJobs(page.get(i));
      }
      if (page.size() > size) {
        b.setNextPageToken(page.get(size - 1).getJobId());
      }
      return b.build();
    });
  }

  @Override
  public void cancelJob(CancelJobRequest request, StreamObserver<Job> out) {
    StatusMapper.respond(out, () -> {
      Identity who = Identity.current();
      if (who.role() != Identity.Role.TENANT && who.role() != Identity.Role.NONPROFIT) {
        throw HearthException.denied("role " + who.role().word() + " cannot cancel jobs (expected: the job's owner)");
      }
      Job before = visibleJob(who, request.getJobId());
      if (JobLifecycle.isTerminal(before.getState())) {
        return before;
      }
      Job[] seen = new Job[1];
      Job after = store.update(before.getJobId(), j -> {
        seen[0] = j;
        return JobLifecycle.cancel(j, who.toString(), clock.instant());
      });
      if (after == null) {
        return store.get(before.getJobId());
      }
      audit.record(who.toString(), "cancel", after.getJobId(), "was " + seen[0].getState().name());
      placer.cancelled(seen[0], after);
      return after;
    });
  }

  @Override
  public void watchJobs(WatchJobsRequest request, StreamObserver<JobEvent> out) {
    Identity who;
    try {
      who = reader();
      if (request.getJobIdsCount() > MAX_WATCHED_JOBS) {
        throw HearthException.invalid("job_ids: " + request.getJobIdsCount() + " entries (expected: at most "
            + MAX_WATCHED_JOBS + ")");
      }
      for (String id : request.getJobIdsList()) {
        visibleJob(who, id);
      }
    } catch (RuntimeException e) {
      out.onError(StatusMapper.toStatus(e));
      return;
    }
    ServerCallStreamObserver<JobEvent> stream = (ServerCallStreamObserver<JobEvent>) out;
    Set<String> only = Set.copyOf(request.getJobIdsList());
    String owner = who.role() == Identity.Role.OPERATOR ? null : who.id();
    AutoCloseable subscription = events.subscribe(owner, only, stream);
    stream.setOnCancelHandler(() -> {
      try {
        subscription.close();
      } catch (Exception ignored) {
        // unregistering a consumer does not fail in a way the caller could act on
      }
    });
  }

  private SubmitJobResponse accept(Identity who, JobSpec spec) {
    Job fresh = JobLifecycle.queued(store.newJobId(), who.id(), spec, clock.instant());
    JobStore.Accepted accepted = store.createIdempotent(fresh);
    Job stored = accepted.job();
    boolean created = accepted.created();
    if (created) {
      audit.record(who.toString(), "submit", stored.getJobId(), "request_id=" + spec.getRequestId()
          + " tier=" + spec.getTier().name() + " class=" + spec.getMinSecurityClass().name() + " cores=" + spec.getCores()
          + " secrets=" + spec.getWorkload().getSecretsCount());
      placer.submitted(stored);
    }
    return SubmitJobResponse.newBuilder().setJob(stored).setCreated(created).build();
  }

  private static Identity submitter() {
    Identity who = Identity.current();
    if (who.role() != Identity.Role.TENANT && who.role() != Identity.Role.NONPROFIT) {
      throw HearthException.denied("role " + who.role().word() + " cannot submit jobs (expected: tenant or nonprofit)");
    }
    return who;
  }

  private static Identity reader() {
    Identity who = Identity.current();
    if (who.role() == Identity.Role.NODE) {
      throw HearthException.denied("nodes cannot read jobs");
    }
    return who;
  }

  private void checkTier(Identity who, String path, JobSpec spec) {
    boolean donated = spec.getTier() == Tier.TIER_DONATED;
    if (!donated && !spec.getGrantId().isEmpty()) {
      throw HearthException.invalid(path + ".grant_id: set (expected: only on TIER_DONATED jobs)");
    }
    if (who.role() == Identity.Role.NONPROFIT && !donated) {
      throw HearthException.denied(path + ".tier: " + spec.getTier() + " (nonprofits submit TIER_DONATED only)");
    }
    if (who.role() == Identity.Role.TENANT && donated) {
      throw HearthException.denied(path + ".tier: TIER_DONATED (reserved for approved nonprofits)");
    }
    if (donated) {
      if (spec.getGrantId().isEmpty()) {
        throw HearthException.invalid(path + ".grant_id: empty (expected: one of the nonprofit's grants, see ClaimOffer)");
      }
      JobSpecValidator.checkLength(path + ".grant_id", spec.getGrantId(), 1, 64);
      String blocked = ledger.blocked(who.id(), spec.getGrantId(), clock.instant());
      if (blocked != null) {
        throw new HearthException(HearthException.Kind.FAILED_PRECONDITION, path + ".grant_id: " + blocked);
      }
    }
  }

  private Job visibleJob(Identity who, String jobId) {
    if (who.role() == Identity.Role.NODE) {
      throw HearthException.denied("nodes cannot read jobs");
    }
    if (jobId.isEmpty() || jobId.length() > 64) {
      throw HearthException.invalid("job_id: " + jobId.length() + " characters (expected: 1..64)");
    }
    Job job = store.get(jobId);
    if (job == null || (who.role() != Identity.Role.OPERATOR && !job.getOwner().equals(who.id()))) {
      throw HearthException.notFound("job " + jobId + " not found");
    }
    return job;
  }

}
