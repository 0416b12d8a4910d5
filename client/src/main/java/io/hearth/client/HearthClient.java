package io.hearth.client;

import io.grpc.ChannelCredentials;
import io.grpc.Context;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.AdminServiceGrpc;
import io.hearth.api.v1.ApproveNonprofitRequest;
import io.hearth.api.v1.ClusterStatus;
import io.hearth.api.v1.DrainNodeRequest;
import io.hearth.api.v1.GetClusterStatusRequest;
import io.hearth.api.v1.Nonprofit;
import io.hearth.api.v1.UndrainNodeRequest;
import io.hearth.api.v1.CancelJobRequest;
import io.hearth.api.v1.ClaimOfferRequest;
import io.hearth.api.v1.DonationReport;
import io.hearth.api.v1.DonationServiceGrpc;
import io.hearth.api.v1.GetDonationReportRequest;
import io.hearth.api.v1.GetJobLogsRequest;
import io.hearth.api.v1.GetJobRequest;
import io.hearth.api.v1.Grant;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobEvent;
import io.hearth.api.v1.JobServiceGrpc;
import io.hearth.api.v1.JobSpec;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.ListGrantsRequest;
import io.hearth.api.v1.ListJobsRequest;
import io.hearth.api.v1.ListJobsResponse;
import io.hearth.api.v1.ListNodesRequest;
import io.hearth.api.v1.ListNodesResponse;
import io.hearth.api.v1.ListOffersRequest;
import io.hearth.api.v1.LogChunk;
import io.hearth.api.v1.NodeInfo;
import io.hearth.api.v1.Offer;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.SubmitJobResponse;
import io.hearth.api.v1.SubmitJobsRequest;
import io.hearth.api.v1.WatchJobsRequest;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * The Java client of a Hearth scheduler cluster for tenants, nonprofits and operators.
 *
 * <p>Every unary call carries a deadline ({@link Builder#callTimeout}, default 30 s) and is sent
 * again with the very same request while the cluster answers {@code UNAVAILABLE} (a member died,
 * the leader changed), up to {@link Builder#retryFor} (default 60 s). Submissions are therefore
 * safe to retry: the spec's {@code request_id} makes a second try find the job the first created.
 * Other failures surface as the {@link StatusRuntimeException} the server sent (DEADLINE_EXCEEDED
 * once the retries ran out of time).
 *
 * <pre>{@code
 * try (HearthClient hearth = HearthClient.builder()
 *     .scheduler("hearth-0.bank.example:7070,hearth-1.bank.example:7070")
 *     .tlsDir(Path.of("certs"), "tenant-acme")
 *     .build()) {
 *   Job job = hearth.submit(JobSpecs.command("python3", "price.py").instances(500).build()).getJob();
 *   try (Stream<JobEvent> events = hearth.watch(List.of(job.getJobId()), Duration.ofHours(1))) {
 *     events.map(JobEvent::getJob).filter(j -> HearthClient.ended(j.getState())).findFirst();
 *   }
 * }
 * }</pre>
 *
 * <p>Thread-safe; one instance per process is enough. The {@code *Async} methods never block the
 * caller: their retries wait on a timer thread, and their futures complete on gRPC threads.
 */
public final class HearthClient implements AutoCloseable {

  /** Defaults of {@link Builder}. */
  public static final Duration DEFAULT_CALL_TIMEOUT = Duration.ofSeconds(30);
  public static final Duration DEFAULT_RETRY_FOR = Duration.ofSeconds(60);

  private final ManagedChannel channel;
  private final boolean ownsChannel;
  private final Duration callTimeout;
  private final Retrying retrying;
  private final ScheduledExecutorService timer;

  private HearthClient(Builder b) {
    this.ownsChannel = b.channel == null;
    this.channel = ownsChannel ? Grpc.newChannelBuilder(Members.target(b.scheduler), b.credentials).build() : b.channel;
    this.callTimeout = b.callTimeout;
    this.retrying = Retrying.upTo(b.retryFor);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "hearth-client-retry");
      t.setDaemon(true);
      return t;
    });
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Whether a job in state {@code s} has ended (SUCCEEDED, FAILED, CANCELLED or EXPIRED). */
  public static boolean ended(JobState s) {
    return s == JobState.JOB_STATE_SUCCEEDED || s == JobState.JOB_STATE_FAILED
        || s == JobState.JOB_STATE_CANCELLED || s == JobState.JOB_STATE_EXPIRED;
  }

  // ---- jobs, blocking

  /** Submits one job; {@code created} is false when its request id was seen before. */
  public SubmitJobResponse submit(JobSpec spec) {
    return retrying.call(() -> jobs().submitJob(SubmitJobRequest.newBuilder().setSpec(spec).build()));
  }

  /** Submits 1-1000 jobs at once (all or none): one result per spec, in order. */
  public List<SubmitJobResponse> submitAll(List<JobSpec> specs) {
    SubmitJobsRequest request = SubmitJobsRequest.newBuilder().addAllSpecs(specs).build();
    return retrying.call(() -> jobs().submitJobs(request)).getResultsList();
  }

  public Job get(String jobId) {
    GetJobRequest request = GetJobRequest.newBuilder().setJobId(jobId).build();
    return retrying.call(() -> jobs().getJob(request));
  }

  /** One page of the caller's jobs. */
  public ListJobsResponse listPage(ListJobsRequest request) {
    return retrying.call(() -> jobs().listJobs(request));
  }

  /** The caller's jobs matching {@code filter}, every page, at most {@code limit} jobs. */
  public List<Job> list(ListJobsRequest filter, int limit) {
    List<Job> out = new ArrayList<>();
    ListJobsRequest.Builder request = filter.toBuilder();
    do {
      ListJobsResponse page = listPage(request.build());
      for (Job j : page.getJobsList()) {
        if (out.size() >= limit) {
          return out;
        }
        out.add(j);
      }
      request.setPageToken(page.getNextPageToken());
    } while (!request.getPageToken().isEmpty());
    return out;
  }

  public Job cancel(String jobId) {
    CancelJobRequest request = CancelJobRequest.newBuilder().setJobId(jobId).build();
    return retrying.call(() -> jobs().cancelJob(request));
  }

  /**
   * Job events of the named jobs (every job of the caller when empty), from now on, as a stream
   * that ends when {@code maxDuration} has passed (DEADLINE_EXCEEDED), the server ends it, or it
   * is closed. Close it (try-with-resources) to cancel the call. Not retried: a watcher that lost
   * its member should read the jobs again ({@link #get}) and watch anew.
   */
  public Stream<JobEvent> watch(Collection<String> jobIds, Duration maxDuration) {
    Context.CancellableContext context = Context.current().withCancellation();
    WatchJobsRequest request = WatchJobsRequest.newBuilder().addAllJobIds(jobIds).build();
    Context previous = context.attach();
    Iterator<JobEvent> events;
    try {
      events = JobServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(maxDuration.toMillis(), TimeUnit.MILLISECONDS)
          .watchJobs(request);
    } finally {
      context.detach(previous);
    }
    return StreamSupport.stream(Spliterators.spliteratorUnknownSize(events, Spliterator.ORDERED | Spliterator.NONNULL), false)
        .onClose(() -> context.cancel(null));
  }

  /** The asynchronous {@link #watch}: events go to {@code observer}; cancel the returned context to stop. */
  public Context.CancellableContext watch(Collection<String> jobIds, Duration maxDuration, StreamObserver<JobEvent> observer) {
    Context.CancellableContext context = Context.current().withCancellation();
    WatchJobsRequest request = WatchJobsRequest.newBuilder().addAllJobIds(jobIds).build();
    context.run(() -> JobServiceGrpc.newStub(channel)
        .withDeadlineAfter(maxDuration.toMillis(), TimeUnit.MILLISECONDS)
        .watchJobs(request, observer));
    return context;
  }

  /** What {@link #logs} copied: the sizes of the log as the node kept it. */
  public record LogCopy(long bytes, long keptSize, long writtenSize, boolean truncated) {}

  /**
   * Copies one attempt's kept stdout or stderr (from {@code request.offset}, at most
   * {@code request.limit} bytes) to {@code out}. A stream broken by UNAVAILABLE is resumed from the
   * next byte not yet copied, so nothing is written twice.
   */
  public LogCopy logs(GetJobLogsRequest request, OutputStream out) {
    long[] copied = {0};
    LogChunk[] last = {null};
    retrying.call(() -> {
      GetJobLogsRequest.Builder resumed = request.toBuilder().setOffset(request.getOffset() + copied[0]);
      if (request.getLimit() > 0) {
        if (copied[0] >= request.getLimit()) {
          return null;
        }
        resumed.setLimit(request.getLimit() - copied[0]);
      }
      Context.CancellableContext context = Context.current().withCancellation();
      try {
        return context.call(() -> {
          Iterator<LogChunk> chunks = jobs().getJobLogs(resumed.build());
          while (chunks.hasNext()) {
            LogChunk chunk = chunks.next();
            chunk.getData().writeTo(out);
            copied[0] += chunk.getData().size();
            last[0] = chunk;
          }
          return null;
        });
      } catch (StatusRuntimeException e) {
        throw e;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      } finally {
        context.cancel(null);
      }
    });
    LogChunk l = last[0];
    return l == null ? new LogCopy(copied[0], 0, 0, false) : new LogCopy(copied[0], l.getKeptSize(), l.getWrittenSize(), l.getTruncated());
  }

  // ---- jobs, asynchronous

  public CompletableFuture<SubmitJobResponse> submitAsync(JobSpec spec) {
    SubmitJobRequest request = SubmitJobRequest.newBuilder().setSpec(spec).build();
    return unaryAsync((stub, observer) -> stub.submitJob(request, observer));
  }

  public CompletableFuture<List<SubmitJobResponse>> submitAllAsync(List<JobSpec> specs) {
    SubmitJobsRequest request = SubmitJobsRequest.newBuilder().addAllSpecs(specs).build();
    return this.<io.hearth.api.v1.SubmitJobsResponse>unaryAsync((stub, observer) -> stub.submitJobs(request, observer))
        .thenApply(io.hearth.api.v1.SubmitJobsResponse::getResultsList);
  }

  public CompletableFuture<Job> getAsync(String jobId) {
    GetJobRequest request = GetJobRequest.newBuilder().setJobId(jobId).build();
    return unaryAsync((stub, observer) -> stub.getJob(request, observer));
  }

  public CompletableFuture<Job> cancelAsync(String jobId) {
    CancelJobRequest request = CancelJobRequest.newBuilder().setJobId(jobId).build();
    return unaryAsync((stub, observer) -> stub.cancelJob(request, observer));
  }

  private <T> CompletableFuture<T> unaryAsync(BiConsumer<JobServiceGrpc.JobServiceStub, StreamObserver<T>> call) {
    return retrying.callAsync(() -> {
      CompletableFuture<T> f = new CompletableFuture<>();
      call.accept(JobServiceGrpc.newStub(channel).withDeadlineAfter(callTimeout.toMillis(), TimeUnit.MILLISECONDS),
          new StreamObserver<>() {
            @Override
            public void onNext(T value) {
              f.complete(value);
            }

            @Override
            public void onError(Throwable t) {
              f.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {}
          });
      return f;
    }, timer);
  }

  // ---- operators and nonprofits

  /** Every node of the fleet (operators only). */
  public List<NodeInfo> nodes() {
    List<NodeInfo> out = new ArrayList<>();
    ListNodesRequest.Builder request = ListNodesRequest.newBuilder().setPageSize(1000);
    do {
      ListNodesRequest r = request.build();
      ListNodesResponse page = retrying.call(() -> admin().listNodes(r));
      out.addAll(page.getNodesList());
      request.setPageToken(page.getNextPageToken());
    } while (!request.getPageToken().isEmpty());
    return out;
  }

  /** Stops new work on a node; its running attempts finish (operators; idempotent, so retried). */
  public NodeInfo drain(String nodeId) {
    DrainNodeRequest request = DrainNodeRequest.newBuilder().setNodeId(nodeId).build();
    return retrying.call(() -> admin().drainNode(request));
  }

  /** Lets a drained node take work again (operators; idempotent, so retried). */
  public NodeInfo undrain(String nodeId) {
    UndrainNodeRequest request = UndrainNodeRequest.newBuilder().setNodeId(nodeId).build();
    return retrying.call(() -> admin().undrainNode(request));
  }

  /** Fleet, queue and heat figures of the cluster as of its last aggregation (operators). */
  public ClusterStatus clusterStatus() {
    return retrying.call(() -> admin().getClusterStatus(GetClusterStatusRequest.getDefaultInstance()));
  }

  /**
   * Approves a nonprofit to claim donated compute with its fair-share {@code weight} (operators;
   * approving again replaces the weight, so it is retried).
   */
  public Nonprofit approveNonprofit(String nonprofitId, int weight) {
    ApproveNonprofitRequest request = ApproveNonprofitRequest.newBuilder().setNonprofitId(nonprofitId).setWeight(weight).build();
    return retrying.call(() -> admin().approveNonprofit(request));
  }

  public List<Offer> offers() {
    return retrying.call(() -> donations().listOffers(ListOffersRequest.getDefaultInstance())).getOffersList();
  }

  /** Claims {@code coreHours} of an offer for the calling nonprofit; answers its grant as shared now. */
  public Grant claim(String offerId, double coreHours) {
    ClaimOfferRequest request = ClaimOfferRequest.newBuilder().setOfferId(offerId).setCoreHours(coreHours).build();
    return retrying.call(() -> donations().claimOffer(request));
  }

  public List<Grant> grants() {
    return retrying.call(() -> donations().listGrants(ListGrantsRequest.getDefaultInstance())).getGrantsList();
  }

  public DonationReport report(GetDonationReportRequest request) {
    return retrying.call(() -> donations().getDonationReport(request));
  }

  private JobServiceGrpc.JobServiceBlockingStub jobs() {
    return JobServiceGrpc.newBlockingStub(channel).withDeadlineAfter(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private AdminServiceGrpc.AdminServiceBlockingStub admin() {
    return AdminServiceGrpc.newBlockingStub(channel).withDeadlineAfter(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private DonationServiceGrpc.DonationServiceBlockingStub donations() {
    return DonationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(callTimeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Retries made so far by every call of this client. */
  public long retries() {
    return retrying.retries();
  }

  @Override
  public void close() {
    timer.shutdownNow();
    if (ownsChannel) {
      channel.shutdownNow();
    }
  }

  /** Builder. Required: {@link #scheduler} with {@link #tlsDir} or {@link #credentials}, or a {@link #channel}. */
  public static final class Builder {
    private String scheduler;
    private ChannelCredentials credentials;
    private ManagedChannel channel;
    private Duration callTimeout = DEFAULT_CALL_TIMEOUT;
    private Duration retryFor = DEFAULT_RETRY_FOR;

    private Builder() {}

    /** Members of the cluster, {@code host:port[,host:port...]}; any that answers serves. */
    public Builder scheduler(String members) {
      Members.parse(members);
      this.scheduler = members;
      return this;
    }

    /** Mutual TLS as identity {@code name} (e.g. {@code tenant-acme}) from a hearth-certs folder. */
    public Builder tlsDir(Path dir, String name) {
      this.credentials = TlsFolder.credentials(dir, name);
      return this;
    }

    public Builder credentials(ChannelCredentials credentials) {
      this.credentials = credentials;
      return this;
    }

    /** A channel the caller owns (not shut down by {@link #close}); replaces scheduler and credentials. */
    public Builder channel(ManagedChannel channel) {
      this.channel = channel;
      return this;
    }

    /** Deadline of every single try of a unary call. Default 30 s. */
    public Builder callTimeout(Duration timeout) {
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("call timeout: " + timeout + " (expected: positive)");
      }
      this.callTimeout = timeout;
      return this;
    }

    /** How long a call is retried while the cluster is unavailable. Default 60 s. */
    public Builder retryFor(Duration retryFor) {
      Retrying.upTo(retryFor);
      this.retryFor = retryFor;
      return this;
    }

    public HearthClient build() {
      if (channel == null && (scheduler == null || credentials == null)) {
        throw new IllegalStateException("scheduler and credentials (or a channel) are required");
      }
      return new HearthClient(this);
    }
  }
}
