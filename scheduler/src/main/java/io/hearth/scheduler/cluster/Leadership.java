package io.hearth.scheduler.cluster;

import com.hazelcast.cluster.Member;
import com.hazelcast.cluster.MembershipEvent;
import com.hazelcast.cluster.MembershipListener;
import com.hazelcast.core.HazelcastInstance;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whether this member is the cluster's leader, the one member that places: the oldest
 * member of the Hazelcast cluster (member-list order, the same on every member), and only while
 * the cluster holds a majority of the expected members. A minority side of a split brain thus has
 * no leader, and the split-brain protection on the job maps refuses its writes as well, so two
 * sides can never both commit placements.
 *
 * <p>Threading: membership events are evaluated on one thread of its own, which also calls the
 * listener, so the listener may block (it starts or stops a placer) and sees changes in order.
 */
public final class Leadership implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(Leadership.class);

  /** Told which member leads whenever that changes, and every time this member starts or stops leading. */
  public interface Listener {
    /** The member that leads now (its Hazelcast UUID), or null while no majority is up. */
    void leaderIs(UUID leader);

    void leadershipChanged(boolean leading);
  }

  private final HazelcastInstance hz;
  private final int quorum;
  private final Listener listener;
  private final ExecutorService thread;
  private UUID registration;

  // Confined to the leadership thread.
  private volatile boolean leading;
  private UUID leaderSeen;

  public Leadership(HazelcastInstance hz, int quorum, Listener listener) {
    this.hz = hz;
    this.quorum = quorum;
    this.listener = listener;
    this.thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "hearth-leadership");
      t.setDaemon(true);
      return t;
    });
  }

  public void start() {
    registration = hz.getCluster().addMembershipListener(new MembershipListener() {
      @Override
      public void memberAdded(MembershipEvent event) {
        evaluate();
      }

      @Override
      public void memberRemoved(MembershipEvent event) {
        LOG.info("cluster member {} left; {} members remain", event.getMember().getAddress(), event.getMembers().size());
        evaluate();
      }
    });
    evaluate();
  }

  /** Whether this member leads now (as last evaluated). */
  public boolean isLeading() {
    return leading;
  }

  private void evaluate() {
    thread.execute(() -> {
      try {
        Set<Member> members = hz.getCluster().getMembers();
        Member oldest = members.iterator().next();
        boolean quorate = members.size() >= quorum;
        UUID leader = quorate ? oldest.getUuid() : null;
        if (leader != null && !leader.equals(leaderSeen)) {
          LOG.info("leader is {} ({}){}: {} of {} needed members", oldest.getAddress(), leader,
              oldest.localMember() ? " = this member" : "", members.size(), quorum);
        } else if (leader == null && leaderSeen != null) {
          LOG.warn("no leader: {} members up, {} needed; placement stops until a majority is back", members.size(), quorum);
        }
        if (!java.util.Objects.equals(leader, leaderSeen)) {
          listener.leaderIs(leader);
        }
        leaderSeen = leader;
        boolean now = quorate && oldest.localMember();
        if (now != leading) {
          leading = now;
          listener.leadershipChanged(now);
        }
      } catch (RuntimeException e) {
        LOG.warn("leadership evaluation failed: {}", e.toString());
      }
    });
  }

  @Override
  public void close() {
    if (registration != null) {
      try {
        hz.getCluster().removeMembershipListener(registration);
      } catch (RuntimeException ignored) {
        // the member is already shutting down
      }
    }
    thread.shutdownNow();
    try {
      thread.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
