package io.hearth.scheduler.api;

import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import io.grpc.Status;
import io.hearth.api.v1.Attempt;
import io.hearth.api.v1.CancelJobRequest;
import io.hearth.api.v1.GetJobLogsRequest;
import io.hearth.api.v1.LogChunk;
import io.hearth.api.v1.LogRequest;
import io.hearth.api.v1.LogStream;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobDependency;
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
import io.hearth.scheduler.job.ArrayJobs;
import io.hearth.scheduler.job.DependencyGraph;
import io.hearth.scheduler.job.JobLifecycle;
import io.hearth.scheduler.scheduling.JobEvents;
import io.hearth.scheduler.scheduling.ClusterPlacement;
import io.hearth.scheduler.scheduling.NodeLogs;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
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
  /** The largest LogChunk GetJobLogs sends (and asks a node for at a time). */
  public static final int MAX_LOG_CHUNK = 1024 * 1024;

  private final JobStore store;
  private final ClusterPlacement placer;
  private final JobEvents events;
  private final Clock clock;
  private final AuditLog audit;
  private final io.hearth.scheduler.donation.DonationLedger ledger;
  private final NodeLogs logs;

  public JobServiceImpl(JobStore store, ClusterPlacement placer, JobEvents events, NodeLogs logs, Clock clock,
      AuditLog audit, io.hearth.scheduler.donation.DonationLedger ledger) {
    this.logs = logs;
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
      return acceptAll(who, List.of("spec"), List.of(spec)).get(0);
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
      List<String> paths = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        JobSpec spec = JobSpecValidator.validate("specs[" + i + "]", request.getSpecs(i));
        checkTier(who, "specs[" + i + "]", spec);
        specs.add(spec);
        paths.add("specs[" + i + "]");
      }
      return SubmitJobsResponse.newBuilder().addAllResults(acceptAll(who, paths, specs)).build();
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
      Job after = cancel(who, before.getJobId());
      if (after == null) {
        return store.get(before.getJobId());
      }
      if (after.hasArray()) {
        // The array first (its dependents learn it ended CANCELLED), then every instance not yet ended.
        for (int i = 0; i < after.getSpec().getInstances(); i++) {
          cancel(who, ArrayJobs.instanceId(after.getJobId(), i));
        }
      }
      return after;
    });
  }

  private Job cancel(Identity who, String jobId) {
    Job[] seen = new Job[1];
    Job after = store.update(jobId, j -> {
      seen[0] = j;
      return JobLifecycle.isTerminal(j.getState()) ? null : JobLifecycle.cancel(j, who.toString(), clock.instant());
    });
    if (after != null) {
      audit.record(who.toString(), "cancel", after.getJobId(), "was " + seen[0].getState().name());
      placer.cancelled(seen[0], after);
    }
    return after;
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

  /**
   * Accepts validated specs whose dependencies were not yet checked against the store: every parent
   * must be one of the caller's jobs or another spec of the batch, and the batch must hold no cycle;
   * otherwise nothing is accepted. Parents in the batch are accepted before their children, whose
   * dependencies are then stored by job id. Results come in the order of the specs.
   */
  private List<SubmitJobResponse> acceptAll(Identity who, List<String> paths, List<JobSpec> specs) {
    int n = specs.size();
    Map<String, Integer> inBatch = new HashMap<>();
    List<String> requestIds = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      inBatch.putIfAbsent(specs.get(i).getRequestId(), i);
      requestIds.add(specs.get(i).getRequestId());
    }
    List<int[]> parents = new ArrayList<>(n);
    List<String[]> known = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      JobSpec spec = specs.get(i);
      int[] within = new int[spec.getDependsOnCount()];
      String[] ids = new String[spec.getDependsOnCount()];
      for (int d = 0; d < within.length; d++) {
        within[d] = -1;
        JobDependency dep = spec.getDependsOn(d);
        String field = paths.get(i) + ".depends_on[" + d + "]";
        if (!dep.getJobId().isEmpty()) {
          Job parent = store.get(dep.getJobId());
          if (parent == null || !parent.getOwner().equals(who.id())) {
            throw HearthException.invalid(field + ".job_id: '" + dep.getJobId() + "' not found (expected: one of your jobs, not yet deleted after it ended)");
          }
          ids[d] = parent.getJobId();
        } else if (inBatch.containsKey(dep.getRequestId())) {
          within[d] = inBatch.get(dep.getRequestId());
        } else {
          String id = store.jobIdOfRequest(who.id(), dep.getRequestId());
          if (id == null || store.get(id) == null) {
            throw HearthException.invalid(field + ".request_id: '" + JobSpecValidator.truncate(dep.getRequestId())
                + "' not found (expected: the request_id of one of your jobs, not yet deleted after it ended, or of another"
                + " spec in this batch)");
          }
          ids[d] = id;
        }
      }
      parents.add(within);
      known.add(ids);
    }
    DependencyGraph.Order order = DependencyGraph.order(requestIds, parents);
    if (!order.acyclic()) {
      JobDependency dep = specs.get(order.spec()).getDependsOn(order.dependency());
      throw HearthException.invalid(paths.get(order.spec()) + ".depends_on[" + order.dependency() + "].request_id: '"
          + dep.getRequestId() + "' forms a cycle " + String.join(" -> ", order.cycle()));
    }
    // Specs are accepted level by level of the dependency order (a spec after the specs of this
    // batch it depends on), the specs of one level at once: their writes then share the durable
    // store's commits instead of waiting for one each.
    int[] level = new int[n];
    List<List<Integer>> levels = new ArrayList<>();
    for (int i : order.order()) {
      for (int p : parents.get(i)) {
        level[i] = p >= 0 ? Math.max(level[i], level[p] + 1) : level[i];
      }
      while (levels.size() <= level[i]) {
        levels.add(new ArrayList<>());
      }
      levels.get(level[i]).add(i);
    }
    SubmitJobResponse[] results = new SubmitJobResponse[n];
    for (List<Integer> together : levels) {
      List<Job> toPlace = java.util.Collections.synchronizedList(new ArrayList<>());
      List<java.util.concurrent.CompletableFuture<Void>> arrays = new ArrayList<>();
      List<Integer> plain = new ArrayList<>(together.size());
      List<Job> fresh = new ArrayList<>(together.size());
      for (int i : together) {
        JobSpec spec = specs.get(i);
        if (spec.getDependsOnCount() > 0) {
          JobSpec.Builder b = spec.toBuilder();
          for (int d = 0; d < spec.getDependsOnCount(); d++) {
            String id = parents.get(i)[d] >= 0 ? results[parents.get(i)[d]].getJob().getJobId() : known.get(i)[d];
            b.setDependsOn(d, spec.getDependsOn(d).toBuilder().setJobId(id).clearRequestId());
          }
          spec = b.build();
        }
        if (ArrayJobs.isArray(spec)) {
          JobSpec ready = spec;
          Runnable one = () -> results[i] = acceptArray(who, ready, toPlace);
          if (together.size() == 1) {
            one.run();
          } else {
            arrays.add(java.util.concurrent.CompletableFuture.runAsync(one, ACCEPTING));
          }
        } else {
          plain.add(i);
          fresh.add(JobLifecycle.accepted(store.newJobId(), who.id(), spec, clock.instant()));
        }
      }
      RuntimeException failed = null;
      try {
        if (!fresh.isEmpty()) {
          // One pipelined batch: every claim, then every record, in flight together.
          JobStore.AcceptedBatch batch = store.createAllIdempotent(fresh);
          for (int k = 0; k < plain.size(); k++) {
            JobStore.Accepted a = batch.results().get(k);
            if (a != null) {
              results[plain.get(k)] = accepted(who, a.job(), a.created(), List.of(), toPlace);
            }
          }
          failed = batch.failure();
        }
        java.util.concurrent.CompletableFuture.allOf(arrays.toArray(new java.util.concurrent.CompletableFuture[0])).join();
      } catch (java.util.concurrent.CompletionException e) {
        failed = failed != null ? failed : e.getCause() instanceof RuntimeException r ? r : e;
      } finally {
        // Whatever was stored is placed, even when another spec of the level failed.
        if (!toPlace.isEmpty()) {
          placer.submitted(new ArrayList<>(toPlace));
        }
      }
      if (failed != null) {
        throw failed;
      }
    }
    return List.of(results);
  }

  /** Threads that accept the array jobs of one SubmitJobs level together (each waits on the cluster state). */
  private static final java.util.concurrent.ExecutorService ACCEPTING = java.util.concurrent.Executors.newFixedThreadPool(
      32, new java.util.concurrent.ThreadFactory() {
        private final java.util.concurrent.atomic.AtomicInteger ids = new java.util.concurrent.atomic.AtomicInteger();

        @Override
        public Thread newThread(Runnable r) {
          Thread t = new Thread(r, "hearth-accept-" + ids.incrementAndGet());
          t.setDaemon(true);
          return t;
        }
      });

  /**
   * Streams an attempt's kept log from the node that ran it, chunk by chunk (each asked of the node
   * when the previous one was sent), so at most one chunk per call is in memory here.
   */
  @Override
  public void getJobLogs(GetJobLogsRequest request, StreamObserver<LogChunk> out) {
    try {
      Job job = visibleJob(reader(), request.getJobId());
      if (request.getOffset() < 0) {
        throw HearthException.invalid("offset: " + request.getOffset() + " (expected: >= 0)");
      }
      if (request.getLimit() < 0) {
        throw HearthException.invalid("limit: " + request.getLimit() + " (expected: >= 0, 0 = all that is kept)");
      }
      if (request.getStream() == LogStream.UNRECOGNIZED) {
        throw HearthException.invalid("stream: " + request.getStreamValue()
            + " (expected: LOG_STREAM_STDOUT, LOG_STREAM_STDERR or LOG_STREAM_UNSPECIFIED)");
      }
      if (job.hasArray()) {
        throw HearthException.notFound("job " + job.getJobId() + " is an array job without attempts of its own"
            + " (expected: one of its instances, " + ArrayJobs.instanceId(job.getJobId(), 0) + ".."
            + ArrayJobs.instanceId(job.getJobId(), job.getSpec().getInstances() - 1) + ")");
      }
      int count = job.getAttemptsCount();
      if (count == 0) {
        throw HearthException.notFound("job " + job.getJobId() + " has no attempts yet");
      }
      if (request.getAttempt() < 0 || request.getAttempt() > count) {
        throw HearthException.invalid("attempt: " + request.getAttempt() + " (expected: 0.." + count + ", 0 = the latest)");
      }
      Attempt a = job.getAttempts(request.getAttempt() == 0 ? count - 1 : request.getAttempt() - 1);
      LogStream which = request.getStream() == LogStream.LOG_STREAM_UNSPECIFIED ? LogStream.LOG_STREAM_STDOUT
          : request.getStream();
      ServerCallStreamObserver<LogChunk> stream = (ServerCallStreamObserver<LogChunk>) out;
      long offset = request.getOffset();
      long remaining = request.getLimit() == 0 ? Long.MAX_VALUE : request.getLimit();
      boolean first = true;
      while (!stream.isCancelled()) {
        LogRequest ask = LogRequest.newBuilder().setJobId(job.getJobId()).setFencingToken(a.getFencingToken())
            .setStream(which).setOffset(offset).setLimit(Math.min(MAX_LOG_CHUNK, remaining)).build();
        LogChunk chunk;
        try {
          chunk = logs.fetch(a.getNodeId(), ask).get(logs.timeoutMs() + 5_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
          if (e.getCause() instanceof NodeLogs.Failure f) {
            String what = "attempt " + a.getNumber() + " of job " + job.getJobId() + ": " + f.getMessage();
            throw f.notFound() ? HearthException.notFound(what) : HearthException.unavailable(what);
          }
          throw new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
          throw HearthException.unavailable("node " + a.getNodeId() + " did not answer in time");
        }
        int n = chunk.getData().size();
        if (n > 0 || first) {
          out.onNext(chunk);
          first = false;
        }
        offset += n;
        remaining -= n;
        if (n == 0 || offset >= chunk.getKeptSize() || remaining <= 0) {
          break;
        }
      }
      out.onCompleted();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      out.onError(Status.CANCELLED.withDescription("interrupted").asRuntimeException());
    } catch (RuntimeException e) {
      out.onError(StatusMapper.toStatus(e));
    }
  }

  /** Stores an array job and its instances (idempotently) and adds the instances to place now to {@code toPlace}. */
  private SubmitJobResponse acceptArray(Identity who, JobSpec spec, List<Job> toPlace) {
    Job fresh = JobLifecycle.accepted(store.newJobId(), who.id(), spec, clock.instant());
    JobStore.AcceptedArray a = store.createArrayIdempotent(ArrayJobs.withInitialStatus(fresh), ArrayJobs::instances);
    return accepted(who, a.job(), a.created(), a.newInstances(), toPlace);
  }

  /**
   * Audits a job this submission created and adds what is to be placed now to {@code toPlace}: the
   * job when it is queued, or an array's new queued instances.
   */
  private SubmitJobResponse accepted(Identity who, Job stored, boolean created, List<Job> newInstances,
      List<Job> toPlace) {
    JobSpec spec = stored.getSpec();
    if (created) {
      audit.record(who.toString(), "submit", stored.getJobId(), "request_id=" + spec.getRequestId()
          + " tier=" + spec.getTier().name() + " class=" + spec.getMinSecurityClass().name() + " cores=" + spec.getCores()
          + " secrets=" + spec.getWorkload().getSecretsCount()
          + (ArrayJobs.isArray(spec) ? " instances=" + spec.getInstances() : "")
          + (spec.getDependsOnCount() > 0 ? " depends_on=" + spec.getDependsOnCount() : ""));
    }
    if (ArrayJobs.isArray(spec)) {
      toPlace.addAll(newInstances.stream().filter(j -> j.getState() == JobState.JOB_STATE_QUEUED).toList());
    } else if (created && stored.getState() == JobState.JOB_STATE_QUEUED) {
      toPlace.add(stored);
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
      throw HearthException.notFound("job " + jobId + " not found (not one of your jobs, or ended longer ago than"
          + " the retention of ended jobs)");
    }
    return job;
  }

}
