package io.hearth.scheduler.placement;

import io.hearth.scheduler.placement.filter.HeatHeadroomFilter;

import java.util.Arrays;

/**
 * A max-segment tree over the nodes of one group (heaters or data-center nodes of one security
 * class), leaves in ascending slot order. Each tree node holds aggregates of its subtree: the best
 * selection key (headroom for heaters, free cores for data-center nodes) and, for heaters, the most
 * headroom per watt of a core, both twice: over the heaters that already run work ({@link
 * Fleet#isWarming}) and over the others, so a search of either kind prunes as tightly as a search of
 * all; then the most free cores and memory, the OR of region bits, exclusivity flags and the range of
 * sole-owner tenants. Only READY nodes contribute; the others are dead leaves.
 *
 * <p>The aggregates of one tree node sit side by side in one {@code long[]} (stride {@value #STRIDE}),
 * so testing a subtree costs one or two cache lines rather than one per attribute.
 *
 * <p>A query is a branch-and-bound descent: the child with the larger key first, pruning subtrees
 * that cannot hold a fit or cannot beat the best found (ties go to the lowest slot). An update
 * recomputes one leaf-to-root path and stops where nothing changes. No allocation except when the
 * tree grows. Owned by the engine's placement thread; not thread-safe.
 */
final class GroupTree {
    private static final int STRIDE = 8;
    /** double bits: best key in the subtree (heaters: over those not running work). */
    private static final int KEY = 0;
    /** double bits: most headroom / wattsPerCore (heaters not running work). */
    private static final int HEADROOM_CORES = 1;
    /** double bits: most headroom of the heaters running work; their headroom per core follows. */
    private static final int WARMING_KEY = 6;
    private static final int WARMING_HEADROOM_CORES = 7;
    private static final int FREE_MEMORY = 2;
    private static final int REGIONS = 3;
    /** most free cores in the high int, flags in the low int. */
    private static final int CORES_FLAGS = 4;
    /** lowest sole-owner tenant in the high int, highest in the low int. */
    private static final int SOLE_OWNERS = 5;

    private static final int HAS_EMPTY = 1;
    private static final int HAS_UNHELD = 2;

    private static final long DEAD_KEY = Double.doubleToRawLongBits(Double.NEGATIVE_INFINITY);
    private static final long DEAD_CORES_FLAGS = (long) Integer.MIN_VALUE << 32;
    private static final long NO_SOLE_OWNERS = pack(Integer.MAX_VALUE, Integer.MIN_VALUE);

    private final Fleet fleet;
    private final boolean heater;
    private int capacity;
    private int size;

    private int[] slotAt;
    private long[] tree;

    GroupTree(Fleet fleet, boolean heater, int expectedSize) {
        this.fleet = fleet;
        this.heater = heater;
        int capacity = 16;
        while (capacity < expectedSize) {
            capacity <<= 1;
        }
        allocate(capacity, new int[0], 0);
    }

    private static long pack(int high, int low) {
        return ((long) high << 32) | (low & 0xFFFF_FFFFL);
    }

    private static int high(long word) {
        return (int) (word >> 32);
    }

    private static int low(long word) {
        return (int) word;
    }

    int size() {
        return size;
    }

    private void allocate(int newCapacity, int[] slots, int count) {
        capacity = newCapacity;
        size = count;
        slotAt = Arrays.copyOf(slots, newCapacity);
        Arrays.fill(slotAt, count, newCapacity, Integer.MAX_VALUE);
        tree = new long[2 * newCapacity * STRIDE];
        for (int pos = 0; pos < newCapacity; pos++) {
            setLeaf(pos);
        }
        for (int i = newCapacity - 1; i >= 1; i--) {
            pull(i);
        }
    }

    /** Rebuilds the tree over exactly these slots, which must be ascending. Cold path. */
    void rebuild(int[] ascendingSlots, int count) {
        int newCapacity = capacity;
        while (newCapacity < count) {
            newCapacity <<= 1;
        }
        allocate(newCapacity, ascendingSlots, count);
        for (int pos = 0; pos < count; pos++) {
            fleet.positions[ascendingSlots[pos]] = pos;
        }
    }

    /** Adds a slot above every slot already held; returns its leaf position. */
    int append(int slot) {
        if (size == capacity) {
            allocate(capacity * 2, Arrays.copyOf(slotAt, size), size);
        }
        int pos = size++;
        slotAt[pos] = slot;
        refresh(pos);
        return pos;
    }

    /** Re-reads every attribute of the leaf from the fleet and fixes the path to the root. */
    void refresh(int pos) {
        setLeaf(pos);
        for (int i = (capacity + pos) >>> 1; i >= 1; i >>>= 1) {
            if (!pull(i)) {
                return;
            }
        }
    }

    /** Re-reads only the headroom of the leaf; stops climbing once an ancestor is unchanged. */
    void refreshHeadroom(int pos) {
        int slot = slotAt[pos];
        if (fleet.states[slot] != NodeStates.READY) {
            return;
        }
        long[] t = tree;
        setHeat((capacity + pos) * STRIDE, slot);
        for (int i = (capacity + pos) >>> 1; i >= 1; i >>>= 1) {
            int p = i * STRIDE;
            int l = 2 * p;
            int r = l + STRIDE;
            long key = maxDouble(t[l + KEY], t[r + KEY]);
            long headroomCores = maxDouble(t[l + HEADROOM_CORES], t[r + HEADROOM_CORES]);
            long warmingKey = maxDouble(t[l + WARMING_KEY], t[r + WARMING_KEY]);
            long warmingCores = maxDouble(t[l + WARMING_HEADROOM_CORES], t[r + WARMING_HEADROOM_CORES]);
            if (key == t[p + KEY] && headroomCores == t[p + HEADROOM_CORES] && warmingKey == t[p + WARMING_KEY]
                    && warmingCores == t[p + WARMING_HEADROOM_CORES]) {
                return;
            }
            t[p + KEY] = key;
            t[p + HEADROOM_CORES] = headroomCores;
            t[p + WARMING_KEY] = warmingKey;
            t[p + WARMING_HEADROOM_CORES] = warmingCores;
        }
    }

    /** The leaf's key and headroom per core, under the warming or the other pair (READY leaves only). */
    private void setHeat(int at, int slot) {
        long[] t = tree;
        double headroom = fleet.headroomWatts[slot];
        long headroomCores = Double.doubleToRawLongBits(headroom / fleet.wattsPerCore[slot]);
        if (!heater) {
            t[at + KEY] = Double.doubleToRawLongBits(fleet.freeCores[slot]);
            t[at + HEADROOM_CORES] = headroomCores;
            t[at + WARMING_KEY] = DEAD_KEY;
            t[at + WARMING_HEADROOM_CORES] = DEAD_KEY;
            return;
        }
        // A heater with no free core fits no job (every job asks for one at least): keep it out of both keys, or a
        // full room that still wants heat would draw every descent towards it. Running work makes that common.
        boolean open = fleet.freeCores[slot] > 0;
        long key = open ? Double.doubleToRawLongBits(headroom) : DEAD_KEY;
        long cores = open ? headroomCores : DEAD_KEY;
        boolean warming = fleet.isWarming(slot);
        t[at + KEY] = warming ? DEAD_KEY : key;
        t[at + HEADROOM_CORES] = warming ? DEAD_KEY : cores;
        t[at + WARMING_KEY] = warming ? key : DEAD_KEY;
        t[at + WARMING_HEADROOM_CORES] = warming ? cores : DEAD_KEY;
    }

    private static long maxDouble(long a, long b) {
        return Double.longBitsToDouble(a) >= Double.longBitsToDouble(b) ? a : b;
    }

    private void setLeaf(int pos) {
        long[] t = tree;
        int at = (capacity + pos) * STRIDE;
        int slot = pos < size ? slotAt[pos] : -1;
        if (slot < 0 || fleet.states[slot] != NodeStates.READY) {
            t[at + KEY] = DEAD_KEY;
            t[at + HEADROOM_CORES] = DEAD_KEY;
            t[at + WARMING_KEY] = DEAD_KEY;
            t[at + WARMING_HEADROOM_CORES] = DEAD_KEY;
            t[at + FREE_MEMORY] = Long.MIN_VALUE;
            t[at + REGIONS] = 0;
            t[at + CORES_FLAGS] = DEAD_CORES_FLAGS;
            t[at + SOLE_OWNERS] = NO_SOLE_OWNERS;
            return;
        }
        setHeat(at, slot);
        t[at + FREE_MEMORY] = fleet.freeMemoryMib[slot];
        t[at + REGIONS] = fleet.regionBits[slot];
        int owner = fleet.owners[slot];
        int flags = (owner == Fleet.NO_OWNER ? HAS_EMPTY : 0)
                | (fleet.exclusiveReservations[slot] == 0 ? HAS_UNHELD : 0);
        t[at + CORES_FLAGS] = pack(fleet.freeCores[slot], flags);
        t[at + SOLE_OWNERS] = owner >= 0 ? pack(owner, owner) : NO_SOLE_OWNERS;
    }

    /** Recomputes tree node {@code i} from its children; returns whether anything changed. */
    private boolean pull(int i) {
        long[] t = tree;
        int p = i * STRIDE;
        int l = 2 * p;
        int r = l + STRIDE;
        long key = maxDouble(t[l + KEY], t[r + KEY]);
        long headroomCores = maxDouble(t[l + HEADROOM_CORES], t[r + HEADROOM_CORES]);
        long warmingKey = maxDouble(t[l + WARMING_KEY], t[r + WARMING_KEY]);
        long warmingCores = maxDouble(t[l + WARMING_HEADROOM_CORES], t[r + WARMING_HEADROOM_CORES]);
        long memory = Math.max(t[l + FREE_MEMORY], t[r + FREE_MEMORY]);
        long regions = t[l + REGIONS] | t[r + REGIONS];
        long lc = t[l + CORES_FLAGS];
        long rc = t[r + CORES_FLAGS];
        long coresFlags = pack(Math.max(high(lc), high(rc)), low(lc) | low(rc));
        long ls = t[l + SOLE_OWNERS];
        long rs = t[r + SOLE_OWNERS];
        long soleOwners = pack(Math.min(high(ls), high(rs)), Math.max(low(ls), low(rs)));
        if (key == t[p + KEY] && headroomCores == t[p + HEADROOM_CORES] && warmingKey == t[p + WARMING_KEY]
                && warmingCores == t[p + WARMING_HEADROOM_CORES] && memory == t[p + FREE_MEMORY]
                && regions == t[p + REGIONS] && coresFlags == t[p + CORES_FLAGS] && soleOwners == t[p + SOLE_OWNERS]) {
            return false;
        }
        t[p + KEY] = key;
        t[p + HEADROOM_CORES] = headroomCores;
        t[p + WARMING_KEY] = warmingKey;
        t[p + WARMING_HEADROOM_CORES] = warmingCores;
        t[p + FREE_MEMORY] = memory;
        t[p + REGIONS] = regions;
        t[p + CORES_FLAGS] = coresFlags;
        t[p + SOLE_OWNERS] = soleOwners;
        return true;
    }

    /**
     * Offers this group's best fit to {@code s}, which keeps the best over all groups searched: among the
     * heaters running work or among the others, as {@link Search#warming} says (data-center trees have
     * only the one kind).
     */
    void search(Search s) {
        int keyAt = heater && s.warming ? WARMING_KEY : KEY;
        if (size > 0 && admits(1, 0, keyAt, s)) {
            descend(1, 0, capacity, keyAt, s);
        }
    }

    /** {@code keyAt}: offset of the key searched ({@link #KEY} or {@link #WARMING_KEY}); its headroom per core follows it. */
    private void descend(int i, int lo, int width, int keyAt, Search s) {
        long[] t = tree;
        if (width == 1) {
            // admits() passed on this leaf, where the aggregates are the node's own values: it is READY and
            // beats the best so far, its free cores, memory, region and tenants fit the job, and its group
            // settles class and kind. Only the exact heat rule is left (the aggregate is a quotient).
            int slot = slotAt[lo];
            double key = Double.longBitsToDouble(t[i * STRIDE + keyAt]);
            if (heater && !HeatHeadroomFilter.hasHeadroom(key, s.cores, fleet.wattsPerCore[slot], s.minHeatFraction)) {
                return;
            }
            assert fleet.fits(slot, s) : "index admitted slot " + slot + " for " + s.job;
            s.bestKey = key;
            s.bestSlot = slot;
            return;
        }
        int half = width >>> 1;
        int l = i << 1;
        int r = l + 1;
        if (Double.longBitsToDouble(t[r * STRIDE + keyAt]) > Double.longBitsToDouble(t[l * STRIDE + keyAt])) {
            if (admits(r, lo + half, keyAt, s)) {
                descend(r, lo + half, half, keyAt, s);
            }
            if (admits(l, lo, keyAt, s)) {
                descend(l, lo, half, keyAt, s);
            }
        } else {
            if (admits(l, lo, keyAt, s)) {
                descend(l, lo, half, keyAt, s);
            }
            if (admits(r, lo + half, keyAt, s)) {
                descend(r, lo + half, half, keyAt, s);
            }
        }
    }

    /** Whether subtree {@code i} (leftmost leaf {@code lo}) may hold a fit better than the best so far. */
    private boolean admits(int i, int lo, int keyAt, Search s) {
        long[] t = tree;
        int p = i * STRIDE;
        double key = Double.longBitsToDouble(t[p + keyAt]);
        if (key < s.bestKey || (key == s.bestKey && slotAt[lo] >= s.bestSlot)) {
            return false;
        }
        long coresFlags = t[p + CORES_FLAGS];
        if (high(coresFlags) < s.cores || t[p + FREE_MEMORY] < s.memoryMib) {
            return false;
        }
        if (s.regionMask != 0 && (t[p + REGIONS] & s.regionMask) == 0) {
            return false;
        }
        if (heater && Double.longBitsToDouble(t[p + keyAt + 1]) < s.minHeadroomCores) {
            return false;
        }
        if ((low(coresFlags) & (s.exclusive ? HAS_EMPTY : HAS_UNHELD)) == 0) {
            // Only nodes owned by one tenant can still take the job, and only if that tenant is the job's.
            long soleOwners = t[p + SOLE_OWNERS];
            return high(soleOwners) <= s.tenant && s.tenant <= low(soleOwners);
        }
        return true;
    }
}
