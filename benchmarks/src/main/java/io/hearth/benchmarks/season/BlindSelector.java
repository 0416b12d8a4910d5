package io.hearth.benchmarks.season;

import io.hearth.scheduler.placement.Fleet;
import io.hearth.scheduler.placement.JobRequest;
import io.hearth.scheduler.placement.NodeKinds;
import io.hearth.scheduler.placement.NodeStates;
import io.hearth.scheduler.placement.SecurityClasses;
import io.hearth.scheduler.placement.Tiers;

import java.util.SplittableRandom;

/**
 * How an ordinary, heat-blind scheduler picks a node: among nodes passing the same hard filters as
 * Hearth's (state, security class, region, capacity, exclusivity, DONATED never on data centers),
 * ignoring heat entirely, the one with the most free cores (spread), the fewest that still fit
 * (bin-pack), or a seeded random one. Nodes sit in buckets by (heater or data center, class, free
 * cores), so a choice costs O(buckets), not O(nodes). It reads the engine's {@link Fleet}; the
 * engine's {@code reserve} then re-checks every filter, so a bug here cannot break a constraint.
 *
 * <p>Owned by one policy run's thread; not thread-safe.
 */
final class BlindSelector {
    private static final int GROUPS = 2;
    private static final int CLASSES = SecurityClasses.CERTIFIED + 1;

    private final Fleet fleet;
    private final Policy mode;
    private final SplittableRandom rnd;
    private final int maxFree;
    private final int[][] members;
    private final int[] counts;
    private final int[] bucketOf;
    private final int[] posOf;
    private final byte[] group;

    BlindSelector(Fleet fleet, Policy mode, SplittableRandom rnd) {
        this.fleet = fleet;
        this.mode = mode;
        this.rnd = rnd;
        int n = fleet.size();
        int most = 1;
        for (int s = 0; s < n; s++) {
            most = Math.max(most, fleet.cores(s));
        }
        maxFree = most;
        int buckets = GROUPS * CLASSES * (maxFree + 1);
        members = new int[buckets][];
        counts = new int[buckets];
        for (int b = 0; b < buckets; b++) {
            members[b] = new int[4];
        }
        bucketOf = new int[n];
        posOf = new int[n];
        group = new byte[n];
        for (int s = 0; s < n; s++) {
            group[s] = (byte) (fleet.kind(s) == NodeKinds.DATACENTER ? 1 : 0);
            bucketOf[s] = -1;
            update(s);
        }
    }

    private int bucket(int g, int c, int free) {
        return (g * CLASSES + c) * (maxFree + 1) + free;
    }

    /** Re-files a node after its free cores (or state) changed. */
    void update(int slot) {
        int free = fleet.state(slot) == NodeStates.READY ? Math.max(0, Math.min(maxFree, fleet.freeCores(slot))) : 0;
        int b = bucket(group[slot], fleet.securityClass(slot), free);
        int old = bucketOf[slot];
        if (old == b) {
            return;
        }
        if (old >= 0) {
            int pos = posOf[slot];
            int last = members[old][--counts[old]];
            members[old][pos] = last;
            posOf[last] = pos;
        }
        if (counts[b] == members[b].length) {
            members[b] = java.util.Arrays.copyOf(members[b], members[b].length * 2);
        }
        posOf[slot] = counts[b];
        members[b][counts[b]++] = slot;
        bucketOf[slot] = b;
    }

    /** The chosen node, or -1 when none fits. */
    int select(JobRequest job) {
        int groups = job.tier == Tiers.DONATED ? 1 : GROUPS;
        int from = Math.max(1, job.cores);
        if (from > maxFree) {
            return -1;
        }
        if (mode == Policy.RANDOM) {
            return random(job, groups, from);
        }
        boolean down = mode == Policy.SPREAD;
        for (int k = 0; k <= maxFree - from; k++) {
            int free = down ? maxFree - k : from + k;
            for (int g = 0; g < groups; g++) {
                for (int c = job.minSecurityClass; c < CLASSES; c++) {
                    int b = bucket(g, c, free);
                    int[] list = members[b];
                    for (int i = 0, n = counts[b]; i < n; i++) {
                        if (fits(list[i], job)) {
                            return list[i];
                        }
                    }
                }
            }
        }
        return -1;
    }

    private int random(JobRequest job, int groups, int from) {
        int total = 0;
        for (int free = from; free <= maxFree; free++) {
            for (int g = 0; g < groups; g++) {
                for (int c = job.minSecurityClass; c < CLASSES; c++) {
                    total += counts[bucket(g, c, free)];
                }
            }
        }
        if (total == 0) {
            return -1;
        }
        int r = rnd.nextInt(total);
        // Walk to the r-th eligible node, then onwards (wrapping) to the first that fits.
        for (int pass = 0; pass < 2; pass++) {
            int seen = 0;
            for (int free = from; free <= maxFree; free++) {
                for (int g = 0; g < groups; g++) {
                    for (int c = job.minSecurityClass; c < CLASSES; c++) {
                        int b = bucket(g, c, free);
                        int n = counts[b];
                        if (seen + n <= r) {
                            seen += n; // the r-th node lies further on: skip the bucket whole
                            continue;
                        }
                        for (int i = Math.max(0, r - seen); i < n; i++) {
                            if (fits(members[b][i], job)) {
                                return members[b][i];
                            }
                        }
                        seen += n;
                    }
                }
            }
            r = 0;
        }
        return -1;
    }

    private boolean fits(int slot, JobRequest job) {
        if (fleet.freeMemoryMib(slot) < job.memoryMib || fleet.freeCores(slot) < job.cores) {
            return false;
        }
        if (job.regionMask != 0 && (fleet.regionBit(slot) & job.regionMask) == 0) {
            return false;
        }
        int owner = fleet.owner(slot);
        return owner == job.tenant || owner == Fleet.NO_OWNER || !(job.exclusive || fleet.exclusivelyHeld(slot));
    }
}
