package io.hearth.scheduler.placement;

import java.util.Arrays;

/**
 * A max-segment tree over the nodes of one group (heaters or data-center nodes of one security
 * class), leaves in ascending slot order. Each tree node holds aggregates of its subtree: the best
 * selection key (headroom for heaters, free cores for data-center nodes), the most headroom per watt
 * of a core, the most free cores and memory, the OR of region bits, exclusivity flags and the range
 * of sole-owner tenants. Only READY nodes contribute; others are dead leaves.
 *
 * <p>A query is a branch-and-bound descent: the child with the larger key first, pruning subtrees
 * that cannot hold a fit or cannot beat the best found (ties go to the lowest slot). An update
 * recomputes one leaf-to-root path. No allocation except when the tree grows. Owned by the engine's
 * placement thread; not thread-safe.
 */
final class GroupTree {
    private static final int HAS_EMPTY = 1;
    private static final int HAS_UNHELD = 2;

    private final Fleet fleet;
    private final boolean heater;
    private int capacity;
    private int size;

    private int[] slotAt;
    private double[] maxKey;
    private double[] maxHeadroomCores;
    private int[] maxFreeCores;
    private long[] maxFreeMemory;
    private long[] regionsOr;
    private byte[] flags;
    private int[] soleOwnerMin;
    private int[] soleOwnerMax;

    GroupTree(Fleet fleet, boolean heater, int expectedSize) {
        this.fleet = fleet;
        this.heater = heater;
        allocate(Math.max(16, Integer.highestOneBit(Math.max(1, expectedSize - 1)) << 1), new int[0], 0);
    }

    int size() {
        return size;
    }

    private void allocate(int newCapacity, int[] slots, int count) {
        capacity = newCapacity;
        size = count;
        slotAt = Arrays.copyOf(slots, newCapacity);
        Arrays.fill(slotAt, count, newCapacity, Integer.MAX_VALUE);
        maxKey = new double[2 * newCapacity];
        maxHeadroomCores = new double[2 * newCapacity];
        maxFreeCores = new int[2 * newCapacity];
        maxFreeMemory = new long[2 * newCapacity];
        regionsOr = new long[2 * newCapacity];
        flags = new byte[2 * newCapacity];
        soleOwnerMin = new int[2 * newCapacity];
        soleOwnerMax = new int[2 * newCapacity];
        for (int pos = 0; pos < newCapacity; pos++) {
            setLeaf(pos);
        }
        for (int i = newCapacity - 1; i >= 1; i--) {
            pull(i);
        }
    }

    /** Rebuilds the tree over exactly these slots, which must be ascending. Cold path. */
    void rebuild(int[] ascendingSlots, int count) {
        int newCapacity = 16;
        while (newCapacity < count) {
            newCapacity <<= 1;
        }
        allocate(Math.max(newCapacity, capacity), ascendingSlots, count);
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

    int slotAt(int pos) {
        return slotAt[pos];
    }

    /** Re-reads every attribute of the leaf from the fleet and fixes the path to the root. */
    void refresh(int pos) {
        setLeaf(pos);
        for (int i = (capacity + pos) >>> 1; i >= 1; i >>>= 1) {
            pull(i);
        }
    }

    /** Re-reads only the headroom of the leaf; stops climbing once an ancestor is unchanged. */
    void refreshHeadroom(int pos) {
        int i = capacity + pos;
        int slot = slotAt[pos];
        if (fleet.states[slot] != NodeStates.READY) {
            return;
        }
        double headroom = fleet.headroomWatts[slot];
        maxKey[i] = headroom;
        maxHeadroomCores[i] = headroom / fleet.wattsPerCore[slot];
        for (i >>>= 1; i >= 1; i >>>= 1) {
            int l = i << 1;
            double key = Math.max(maxKey[l], maxKey[l + 1]);
            double headroomCores = Math.max(maxHeadroomCores[l], maxHeadroomCores[l + 1]);
            if (key == maxKey[i] && headroomCores == maxHeadroomCores[i]) {
                return;
            }
            maxKey[i] = key;
            maxHeadroomCores[i] = headroomCores;
        }
    }

    private void setLeaf(int pos) {
        int i = capacity + pos;
        int slot = pos < size ? slotAt[pos] : -1;
        if (slot < 0 || fleet.states[slot] != NodeStates.READY) {
            maxKey[i] = Double.NEGATIVE_INFINITY;
            maxHeadroomCores[i] = Double.NEGATIVE_INFINITY;
            maxFreeCores[i] = Integer.MIN_VALUE;
            maxFreeMemory[i] = Long.MIN_VALUE;
            regionsOr[i] = 0;
            flags[i] = 0;
            soleOwnerMin[i] = Integer.MAX_VALUE;
            soleOwnerMax[i] = Integer.MIN_VALUE;
            return;
        }
        double headroom = fleet.headroomWatts[slot];
        maxKey[i] = heater ? headroom : fleet.freeCores[slot];
        maxHeadroomCores[i] = headroom / fleet.wattsPerCore[slot];
        maxFreeCores[i] = fleet.freeCores[slot];
        maxFreeMemory[i] = fleet.freeMemoryMib[slot];
        regionsOr[i] = fleet.regionBits[slot];
        int owner = fleet.owners[slot];
        flags[i] = (byte) ((owner == Fleet.NO_OWNER ? HAS_EMPTY : 0)
                | (fleet.exclusiveReservations[slot] == 0 ? HAS_UNHELD : 0));
        soleOwnerMin[i] = owner >= 0 ? owner : Integer.MAX_VALUE;
        soleOwnerMax[i] = owner >= 0 ? owner : Integer.MIN_VALUE;
    }

    private void pull(int i) {
        int l = i << 1;
        int r = l + 1;
        maxKey[i] = Math.max(maxKey[l], maxKey[r]);
        maxHeadroomCores[i] = Math.max(maxHeadroomCores[l], maxHeadroomCores[r]);
        maxFreeCores[i] = Math.max(maxFreeCores[l], maxFreeCores[r]);
        maxFreeMemory[i] = Math.max(maxFreeMemory[l], maxFreeMemory[r]);
        regionsOr[i] = regionsOr[l] | regionsOr[r];
        flags[i] = (byte) (flags[l] | flags[r]);
        soleOwnerMin[i] = Math.min(soleOwnerMin[l], soleOwnerMin[r]);
        soleOwnerMax[i] = Math.max(soleOwnerMax[l], soleOwnerMax[r]);
    }

    /** Offers this group's best fit to {@code s}, which keeps the best over all groups searched. */
    void search(Search s) {
        if (size > 0 && admits(1, 0, s)) {
            descend(1, 0, capacity, s);
        }
    }

    private void descend(int i, int lo, int width, Search s) {
        if (width == 1) {
            int slot = slotAt[lo];
            double key = maxKey[i];
            if ((key > s.bestKey || (key == s.bestKey && slot < s.bestSlot)) && fleet.fits(slot, s)) {
                s.bestKey = key;
                s.bestSlot = slot;
            }
            return;
        }
        int half = width >>> 1;
        int l = i << 1;
        int r = l + 1;
        if (maxKey[r] > maxKey[l]) {
            if (admits(r, lo + half, s)) {
                descend(r, lo + half, half, s);
            }
            if (admits(l, lo, s)) {
                descend(l, lo, half, s);
            }
        } else {
            if (admits(l, lo, s)) {
                descend(l, lo, half, s);
            }
            if (admits(r, lo + half, s)) {
                descend(r, lo + half, half, s);
            }
        }
    }

    /** Whether subtree {@code i} (leftmost leaf {@code lo}) may hold a fit better than the best so far. */
    private boolean admits(int i, int lo, Search s) {
        double key = maxKey[i];
        if (key < s.bestKey || (key == s.bestKey && slotAt[lo] >= s.bestSlot)) {
            return false;
        }
        if (maxFreeCores[i] < s.cores || maxFreeMemory[i] < s.memoryMib) {
            return false;
        }
        if (s.regionMask != 0 && (regionsOr[i] & s.regionMask) == 0) {
            return false;
        }
        if (heater && maxHeadroomCores[i] < s.minHeadroomCores) {
            return false;
        }
        int t = s.tenant;
        if ((flags[i] & (s.exclusive ? HAS_EMPTY : HAS_UNHELD)) == 0) {
            // Only nodes owned by one tenant can still take the job, and only if that tenant is the job's.
            return soleOwnerMin[i] <= t && t <= soleOwnerMax[i];
        }
        return true;
    }
}
