package io.hearth.scheduler.placement;

/**
 * Finds the best node for a job in about O(log n): one {@link GroupTree} per (heater or data-center,
 * security class), so a job requiring class k searches only the trees of classes k and above. Heaters
 * that already run work are searched first, then the other heaters, then data-center nodes; each
 * search is a plain best-key descent, so the ranking's two levels never defeat the pruning. Owned by the
 * engine's placement thread; not thread-safe.
 */
final class FleetIndex {
    private static final int CLASSES = SecurityClasses.MAX;

    private final Fleet fleet;
    private final GroupTree[] trees = new GroupTree[2 * CLASSES];
    private final Search search = new Search();

    FleetIndex(Fleet fleet, int expectedSize) {
        this.fleet = fleet;
        for (int g = 0; g < trees.length; g++) {
            trees[g] = new GroupTree(fleet, g < CLASSES, expectedSize / trees.length);
        }
    }

    private static int groupOf(int kind, int securityClass) {
        return (kind == NodeKinds.DATACENTER ? CLASSES : 0) + securityClass - 1;
    }

    /** Indexes a slot just added to the fleet (the highest slot so far). */
    void add(int slot) {
        int group = groupOf(fleet.kinds[slot], fleet.securityClasses[slot]);
        fleet.groups[slot] = group;
        fleet.positions[slot] = trees[group].append(slot);
    }

    /** Re-reads a slot after its static attributes changed; moving it to another group rebuilds the index. */
    void update(int slot) {
        int group = groupOf(fleet.kinds[slot], fleet.securityClasses[slot]);
        if (group == fleet.groups[slot]) {
            refresh(slot);
            return;
        }
        fleet.groups[slot] = group;
        int[] slots = new int[fleet.size];
        for (int g = 0; g < trees.length; g++) {
            int count = 0;
            for (int s = 0; s < fleet.size; s++) {
                if (fleet.groups[s] == g) {
                    slots[count++] = s;
                }
            }
            trees[g].rebuild(slots, count);
        }
    }

    void refresh(int slot) {
        trees[fleet.groups[slot]].refresh(fleet.positions[slot]);
    }

    /** After a telemetry report: only the headroom of the node changed. */
    void refreshHeadroom(int slot) {
        int group = fleet.groups[slot];
        if (group < CLASSES) {
            trees[group].refreshHeadroom(fleet.positions[slot]);
        }
    }

    int place(JobRequest job, double minHeatFraction, boolean donatedOnDatacenter) {
        Search s = search;
        s.start(job, minHeatFraction, donatedOnDatacenter);
        for (int pass = 0; pass < 2; pass++) {
            s.warming = pass == 0;
            for (int c = job.minSecurityClass; c <= CLASSES; c++) {
                trees[c - 1].search(s);
            }
            if (s.bestSlot != Integer.MAX_VALUE) {
                return s.bestSlot;
            }
        }
        if (job.tier == Tiers.DONATED && !donatedOnDatacenter) {
            return -1;
        }
        s.resetBest();
        s.warming = false;
        for (int c = job.minSecurityClass; c <= CLASSES; c++) {
            trees[CLASSES + c - 1].search(s);
        }
        return s.bestSlotOrNone();
    }
}
