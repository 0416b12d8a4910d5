package io.hearth.scheduler.cluster;

import com.google.protobuf.InvalidProtocolBufferException;
import com.hazelcast.aggregation.Aggregators;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.flakeidgen.FlakeIdGenerator;
import com.hazelcast.map.EntryProcessor;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicate;
import com.hazelcast.query.Predicates;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobDependency;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.Tier;
import io.hearth.scheduler.job.ArrayJobs;
import io.hearth.scheduler.job.JobLifecycle;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Jobs in the cluster state (Hazelcast map {@value HazelcastConfigs#JOBS_MAP}), request-id
 * idempotency keys and cluster-unique ids. Every change goes through a compare-and-set so that
 * concurrent writers (the placer, node reports, cancellations, other members) never lose an
 * update; each applied change is handed to the change listener (job events for watchers).
 * Thread-safe; its calls block on Hazelcast, so never call it from an event loop.
 */
public final class JobStore {

  private static final int MAX_CAS_RETRIES = 100;

  private final IMap<String, StoredJob> jobs;
  private final IMap<String, String> requests;
  private final FlakeIdGenerator jobIds;
  private final FlakeIdGenerator tokens;
  private final Changes onChange;
  /**
   * The last record this member wrote of each job it changed since it was accepted and that has not
   * ended (assigned and running jobs, about as many as the fleet runs at once), so that the next
   * change (the node's reports) need not read it back: the compare-and-set still checks it is
   * current, and a stale copy costs one failed attempt. Bounded: emptied when it outgrows
   * {@value #MAX_WRITTEN} jobs (about 30 MB; jobs that other members ended stay until then).
   */
  private final ConcurrentHashMap<String, StoredJob> written = new ConcurrentHashMap<>();
  static final int MAX_WRITTEN = 50_000;
  /** Told of every applied change with the record before it (null for a new job); set once at start. */
  private volatile BiConsumer<Job, Job> onTransition = (before, after) -> { };

  /** Told of every applied change: the job after it, and its encoding as stored (not to be modified). */
  public interface Changes {
    void changed(Job after, byte[] encoded);
  }

  public JobStore(HazelcastInstance hz, Changes onChange) {
    this.jobs = hz.getMap(HazelcastConfigs.JOBS_MAP);
    this.requests = hz.getMap(HazelcastConfigs.REQUESTS_MAP);
    this.jobIds = hz.getFlakeIdGenerator(HazelcastConfigs.JOB_IDS);
    this.tokens = hz.getFlakeIdGenerator(HazelcastConfigs.FENCING_TOKENS);
    this.onChange = onChange;
  }

  /**
   * Also hands every applied change, with the record before it (null for a new job), to
   * {@code listener}, on the thread that made the change (so keep it short).
   */
  public void onTransition(BiConsumer<Job, Job> listener) {
    this.onTransition = listener;
  }

  /** A new cluster-unique job id; ids sort by creation time. */
  public String newJobId() {
    return jobId(jobIds.newId());
  }

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /**
   * {@code job-} and the id as 16 lower-case hex digits, as {@code String.format("job-%016x", id)}
   * writes it, without the formatter (it was 1.6 % of the CPU samples of a load run's submissions).
   */
  static String jobId(long id) {
    char[] c = new char[20];
    c[0] = 'j';
    c[1] = 'o';
    c[2] = 'b';
    c[3] = '-';
    for (int i = 19; i >= 4; i--, id >>>= 4) {
      c[i] = HEX[(int) (id & 15)];
    }
    return new String(c);
  }

  /** A new cluster-unique, positive fencing token. */
  public long newFencingToken() {
    return tokens.newId();
  }

  public Job get(String jobId) {
    StoredJob s = jobs.get(jobId);
    return s == null ? null : decode(s);
  }

  /** The job that stands for a submission, and whether this call created it. */
  public record Accepted(Job job, boolean created) {}

  /**
   * The key of an owner's request id in the request map and its table: the owner's length, the
   * owner, then the request id ({@code 11:tenant/acme:batch-7}), unambiguous whatever characters
   * either holds, and printable text for the store (PostgreSQL's text refuses U+0000).
   */
  static String requestKey(String owner, String requestId) {
    return owner.length() + ":" + owner + ":" + requestId;
  }

  /**
   * Stores a new job unless the owner already used its request id; returns the job that stands for
   * the request: the new one, or the original. The request id is claimed first and reserves the job
   * id, so a member that dies between the two writes leaves no orphan job that could run twice: a
   * retry of the same request finds the reserved id and creates the job under it.
   */
  public Accepted createIdempotent(Job job) {
    AcceptedBatch batch = createAllIdempotent(List.of(job));
    if (batch.failure() != null) {
      throw batch.failure();
    }
    return batch.results().get(0);
  }

  /**
   * What {@link #createAllIdempotent} did: one result per job in the order given, null where that
   * job's writes failed, and the first such failure (null when none failed).
   */
  public record AcceptedBatch(List<Accepted> results, RuntimeException failure) {}

  /**
   * {@link #createIdempotent} for many jobs at once: every request claim is sent before the first
   * answer is awaited, then every job record, so a batch costs two round trips to the partitions
   * (and shares the store's commits) instead of two per job. A request id repeated within the batch
   * stands for the job of its first occurrence. A job whose claim or record failed gets a null
   * result and leaves the others alone; every write is waited for before this returns.
   */
  public AcceptedBatch createAllIdempotent(List<Job> fresh) {
    int n = fresh.size();
    Map<String, Integer> firstOfKey = new HashMap<>();
    int[] sameAs = new int[n];
    List<CompletableFuture<String>> claims = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Job job = fresh.get(i);
      String key = requestKey(job.getOwner(), job.getSpec().getRequestId());
      Integer first = firstOfKey.putIfAbsent(key, i);
      sameAs[i] = first == null ? i : first;
      claims.add(first == null ? putIfAbsentAsync(requests, key, job.getJobId()) : null);
    }
    RuntimeException failure = null;
    Job[] candidates = new Job[n];
    StoredJob[] encoded = new StoredJob[n];
    List<CompletableFuture<StoredJob>> records = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      CompletableFuture<StoredJob> record = null;
      if (sameAs[i] == i) {
        try {
          String existing = claims.get(i).join();
          Job job = fresh.get(i);
          candidates[i] = existing == null ? job : job.toBuilder().setJobId(existing).build();
          encoded[i] = encode(candidates[i]);
          record = putIfAbsentAsync(jobs, candidates[i].getJobId(), encoded[i]);
        } catch (CompletionException e) {
          failure = failure != null ? failure : unwrap(e);
        }
      }
      records.add(record);
    }
    Accepted[] results = new Accepted[n];
    for (int i = 0; i < n; i++) {
      if (records.get(i) == null) {
        continue;
      }
      try {
        StoredJob previous = records.get(i).join();
        if (previous != null) {
          results[i] = new Accepted(decode(previous), false);
        } else {
          results[i] = new Accepted(candidates[i], true);
          onChange.changed(candidates[i], encoded[i].job());
          onTransition.accept(null, candidates[i]);
        }
      } catch (CompletionException e) {
        failure = failure != null ? failure : unwrap(e);
      }
    }
    for (int i = 0; i < n; i++) {
      if (sameAs[i] != i && results[sameAs[i]] != null) {
        results[i] = new Accepted(results[sameAs[i]].job(), false);
      }
    }
    return new AcceptedBatch(Arrays.asList(results), failure);
  }

  /**
   * {@code putIfAbsent} without waiting. The member's own map proxy has it (Hazelcast 5.3 leaves it
   * out of the {@link IMap} interface); any other proxy answers synchronously.
   */
  private static <V> CompletableFuture<V> putIfAbsentAsync(IMap<String, V> map, String key, V value) {
    if (map instanceof com.hazelcast.map.impl.proxy.MapProxyImpl<String, V> proxy) {
      return proxy.putIfAbsentAsync(key, value).toCompletableFuture();
    }
    try {
      return CompletableFuture.completedFuture(map.putIfAbsent(key, value));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private static RuntimeException unwrap(CompletionException e) {
    return e.getCause() instanceof RuntimeException r ? r : e;
  }

  /** An array job as accepted, with the instances this call stored (empty when they all existed). */
  public record AcceptedArray(Job job, boolean created, List<Job> newInstances) {}

  /**
   * Stores an array job and its instances unless the owner already used its request id. The
   * request id is claimed first, then the array record, then the instances (in one batch), so a
   * retry after a member died half-way finds the array and stores the instances still missing;
   * instances that exist are never overwritten (one may already run).
   */
  public AcceptedArray createArrayIdempotent(Job array, Function<Job, List<Job>> instancesOf) {
    Accepted accepted = createIdempotent(array);
    Job stored = accepted.job();
    List<Job> instances = instancesOf.apply(stored);
    Set<String> ids = new LinkedHashSet<>();
    for (Job j : instances) {
      ids.add(j.getJobId());
    }
    Set<String> existing = accepted.created() ? Set.of() : jobs.getAll(ids).keySet();
    Map<String, StoredJob> missing = new LinkedHashMap<>();
    List<Job> created = new ArrayList<>();
    for (Job j : instances) {
      if (!existing.contains(j.getJobId())) {
        missing.put(j.getJobId(), encode(j));
        created.add(j);
      }
    }
    if (!missing.isEmpty()) {
      jobs.putAll(missing);
      for (Job j : created) {
        onChange.changed(j, missing.get(j.getJobId()).job());
        onTransition.accept(null, j);
      }
    }
    return new AcceptedArray(stored, accepted.created(), created);
  }

  /** The jobs with these ids that exist. */
  public Map<String, Job> getAll(Set<String> jobIds) {
    Map<String, Job> out = new HashMap<>();
    for (Map.Entry<String, StoredJob> e : jobs.getAll(jobIds).entrySet()) {
      out.put(e.getKey(), decode(e.getValue()));
    }
    return out;
  }

  /** The id of the job that stands for an owner's request id, or null. */
  public String jobIdOfRequest(String owner, String requestId) {
    return requests.get(requestKey(owner, requestId));
  }

  /**
   * Applies {@code change} atomically: read, change, compare-and-set, retried on a conflict. The
   * change returns null (or the same instance) to leave the job as it is. Returns the job after the
   * change, or null when the job does not exist or nothing changed.
   */
  public Job update(String jobId, UnaryOperator<Job> change) {
    StoredJob known = written.get(jobId);
    for (int i = 0; i < MAX_CAS_RETRIES; i++) {
      // What this member wrote last is most likely still current (the compare-and-set checks).
      StoredJob old = known != null ? known : jobs.get(jobId);
      if (old == null) {
        return null;
      }
      Job before = decode(old);
      Job after = change.apply(before);
      if (after == null || after == before) {
        if (known != null) {
          // Declined on a copy that may be stale: decide again on the current record.
          written.remove(jobId, known);
          known = null;
          continue;
        }
        return null;
      }
      StoredJob stored = encode(after);
      if (jobs.replace(jobId, old, stored)) {
        remember(jobId, stored, after);
        onChange.changed(after, stored.job());
        onTransition.accept(before, after);
        return after;
      }
      if (known != null) {
        written.remove(jobId, known);
        known = null;
      }
    }
    throw new IllegalStateException("job " + jobId + " changed " + MAX_CAS_RETRIES + " times during one update");
  }

  private void remember(String jobId, StoredJob stored, Job job) {
    if (JobLifecycle.isTerminal(job.getState())) {
      written.remove(jobId);
      return;
    }
    if (written.size() >= MAX_WRITTEN) {
      written.clear();
    }
    written.put(jobId, stored);
  }

  /**
   * One page of jobs ordered by id: of one owner (null = everyone), in the given states (empty =
   * all), of one tier (0 = all), with ids after {@code afterJobId}.
   */
  public List<Job> list(String owner, Collection<JobState> states, int tier, String afterJobId, int limit) {
    List<Predicate<String, StoredJob>> parts = new ArrayList<>();
    if (owner != null) {
      parts.add(Predicates.equal("owner", owner));
    }
    if (!states.isEmpty()) {
      Integer[] values = states.stream().map(JobState::getNumber).toArray(Integer[]::new);
      parts.add(Predicates.in("state", values));
    }
    if (tier != 0) {
      parts.add(Predicates.equal("tier", tier));
    }
    if (afterJobId != null && !afterJobId.isEmpty()) {
      parts.add(Predicates.greaterThan("jobId", afterJobId));
    }
    @SuppressWarnings("unchecked")
    Predicate<String, StoredJob> p = parts.isEmpty() ? Predicates.alwaysTrue()
        : Predicates.and(parts.toArray(new Predicate[0]));
    List<StoredJob> found = new ArrayList<>(jobs.values(p));
    found.sort(Comparator.comparing(StoredJob::jobId));
    List<Job> out = new ArrayList<>(Math.min(limit, found.size()));
    for (int i = 0; i < found.size() && out.size() < limit; i++) {
      out.add(decode(found.get(i)));
    }
    return out;
  }

  /**
   * The BLOCKED jobs of these owners. Looked up through the state index alone, once for all of
   * them, and filtered by owner here: a query that also names the owner copies every job of the
   * owner out of the owner index first, which costs a busy tenant thousands of entries on every
   * job that ends; and each query has its own fixed cost on every partition.
   */
  public List<Job> blockedOf(Set<String> owners) {
    List<Job> out = new ArrayList<>();
    for (StoredJob s : jobs.values(Predicates.equal("state", JobState.JOB_STATE_BLOCKED.getNumber()))) {
      if (owners.contains(s.owner())) {
        out.add(decode(s));
      }
    }
    return out;
  }

  /**
   * How many jobs are in {@code state}, any owner, through the state index. Counted by an
   * attribute: Hazelcast's {@code count()} without one reads the value of every entry it counts,
   * which decodes the whole job and leaves the decoded copy in the index's entry for as long as the
   * job is not written again, for an ended job until the retention deletes it (about 880 B per
   * job of 700 B, and 113 MB allocated for the first count of 100,000: benchmarks/README.md,
   * round 8). Blocks on Hazelcast.
   */
  public long countInState(JobState state) {
    Long n = jobs.aggregate(Aggregators.count("state"), Predicates.equal("state", state.getNumber()));
    return n == null ? 0 : n;
  }

  /**
   * The ids of the jobs in {@code state}, any owner, in no order: read through the state index
   * without copying or decoding a single record (a safety net's look at a large queue).
   */
  public Set<String> idsInState(JobState state) {
    return new HashSet<>(jobs.keySet(Predicates.equal("state", state.getNumber())));
  }

  /**
   * The array jobs' own records in one of these states, any owner: found through the state index and
   * the stored instance count, so no other job is decoded.
   */
  public List<Job> arraysInStates(Collection<JobState> states) {
    Integer[] values = states.stream().map(JobState::getNumber).toArray(Integer[]::new);
    List<Job> out = new ArrayList<>();
    for (StoredJob s : jobs.values(Predicates.and(Predicates.in("state", values), Predicates.greaterThan("instances", 1)))) {
      out.add(decode(s));
    }
    return out;
  }

  /** Every job in one of these states, any owner (used to rebuild the queue and to sweep). */
  public List<Job> inStates(Collection<JobState> states) {
    return list(null, states, 0, null, Integer.MAX_VALUE);
  }

  /** What one {@link #deleteEndedBefore} did. */
  public record Deleted(int jobs, int kept) {}

  /**
   * Deletes the jobs that ended before {@code cutoffMs} (epoch milliseconds; the retention sweep),
   * each with its request id claim and, for an array job, its instances. DONATED jobs are kept:
   * their nonprofit's donation report is computed from them. Kept for a later sweep: a
   * job that a BLOCKED job still waits on (its verdict needs the parent's end state), and an array
   * job with an instance not yet ended. Order per job: instances, then the request id claim, then
   * the record, each removal conditional (a claim only while it names this job, a record only while
   * it is still ended before the cutoff), so a member that dies half-way leaves a record that the
   * next sweep finds, never a claim whose job is gone (a retry would recreate the job under its old
   * id and run it again). Works in chunks of {@value #DELETE_CHUNK}, pipelined; stops early when
   * {@code carryOn} says so (leadership lost). Blocks on Hazelcast.
   */
  public Deleted deleteEndedBefore(long cutoffMs, BooleanSupplier carryOn) {
    Integer[] ended = Arrays.stream(JobState.values())
        .filter(s -> s != JobState.UNRECOGNIZED && JobLifecycle.isTerminal(s))
        .map(JobState::getNumber).toArray(Integer[]::new);
    @SuppressWarnings("unchecked")
    Predicate<String, StoredJob> expired = Predicates.and(Predicates.in("state", ended),
        Predicates.between("endedAt", 1L, cutoffMs), Predicates.notEqual("tier", Tier.TIER_DONATED_VALUE));
    List<String> ids = new ArrayList<>(jobs.keySet(expired));
    if (ids.isEmpty()) {
      return new Deleted(0, 0);
    }
    Set<String> waitedOn = new HashSet<>();
    for (StoredJob s : jobs.values(Predicates.equal("state", JobState.JOB_STATE_BLOCKED.getNumber()))) {
      for (JobDependency d : decode(s).getSpec().getDependsOnList()) {
        waitedOn.add(d.getJobId());
      }
    }
    DeleteEnded deleteEnded = new DeleteEnded(cutoffMs);
    int deleted = 0;
    int kept = 0;
    for (int from = 0; from < ids.size() && carryOn.getAsBoolean(); from += DELETE_CHUNK) {
      List<Job> chunk = new ArrayList<>();
      for (StoredJob s : jobs.getAll(new HashSet<>(ids.subList(from, Math.min(ids.size(), from + DELETE_CHUNK)))).values()) {
        Job job = decode(s);
        if (waitedOn.contains(job.getJobId())) {
          kept++;
        } else {
          chunk.add(job);
        }
      }
      // 1. Array jobs' instances: an array job goes only once all of its instances are gone.
      Map<String, List<CompletableFuture<Boolean>>> instancesGone = new HashMap<>();
      for (Job job : chunk) {
        if (ArrayJobs.isArray(job.getSpec())) {
          List<CompletableFuture<Boolean>> gone = new ArrayList<>();
          for (int i = 0; i < job.getSpec().getInstances(); i++) {
            gone.add(jobs.submitToKey(ArrayJobs.instanceId(job.getJobId(), i), deleteEnded).toCompletableFuture());
          }
          instancesGone.put(job.getJobId(), gone);
        }
      }
      List<Job> going = new ArrayList<>(chunk.size());
      for (Job job : chunk) {
        boolean all = true;
        for (CompletableFuture<Boolean> gone : instancesGone.getOrDefault(job.getJobId(), List.of())) {
          all &= gone.join();
        }
        if (all) {
          going.add(job);
        } else {
          kept++;
        }
      }
      // 2. The request id claims, then 3. the records.
      List<CompletableFuture<Boolean>> claims = new ArrayList<>(going.size());
      for (Job job : going) {
        claims.add(requests.submitToKey(requestKey(job.getOwner(), job.getSpec().getRequestId()),
            new RemoveClaim(job.getJobId())).toCompletableFuture());
      }
      claims.forEach(CompletableFuture::join);
      List<CompletableFuture<Boolean>> records = new ArrayList<>(going.size());
      for (Job job : going) {
        records.add(jobs.submitToKey(job.getJobId(), deleteEnded).toCompletableFuture());
      }
      for (CompletableFuture<Boolean> f : records) {
        if (f.join()) {
          deleted++;
        } else {
          kept++;
        }
      }
    }
    return new Deleted(deleted, kept);
  }

  static final int DELETE_CHUNK = 1_000;

  /**
   * Deletes a job record that has ended before the cutoff (an array job's instance, whose
   * {@code endedAt} is 0, once it has ended at all); true when the record is gone (or was absent).
   */
  static final class DeleteEnded implements EntryProcessor<String, StoredJob, Boolean> {
    private static final long serialVersionUID = 1L;
    private final long cutoffMs;

    DeleteEnded(long cutoffMs) {
      this.cutoffMs = cutoffMs;
    }

    @Override
    public Boolean process(Map.Entry<String, StoredJob> entry) {
      StoredJob s = entry.getValue();
      if (s == null) {
        return true;
      }
      JobState state = JobState.forNumber(s.state());
      if (state == null || !JobLifecycle.isTerminal(state) || s.endedAt() > cutoffMs) {
        return false;
      }
      entry.setValue(null);
      return true;
    }
  }

  /** Removes a request id claim while it still names the given job. */
  static final class RemoveClaim implements EntryProcessor<String, String, Boolean> {
    private static final long serialVersionUID = 1L;
    private final String jobId;

    RemoveClaim(String jobId) {
      this.jobId = jobId;
    }

    @Override
    public Boolean process(Map.Entry<String, String> entry) {
      if (!jobId.equals(entry.getValue())) {
        return false;
      }
      entry.setValue(null);
      return true;
    }
  }

  static StoredJob encode(Job job) {
    return StoredJob.of(job);
  }

  static Job decode(StoredJob s) {
    try {
      return Job.parseFrom(s.job());
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("corrupt job record " + s.jobId(), e);
    }
  }
}
