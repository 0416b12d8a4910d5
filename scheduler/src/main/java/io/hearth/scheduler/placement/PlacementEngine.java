package io.hearth.scheduler.placement;

import io.hearth.scheduler.placement.filter.Filters;
import io.hearth.scheduler.placement.filter.PlacementFilter;
import it.unimi.dsi.fastutil.longs.Long2IntOpenHashMap;
import it.unimi.dsi.fastutil.objects.Object2IntOpenHashMap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/**
 * Decides which node runs a job: among the nodes that pass every filter, the heater whose room or tank
 * needs heat most, else the data-center node with the most free cores, else none; ties go to the lowest
 * slot.
 *
 * <p>"Needs heat most" ({@link Fleet#isWarming}): a heater that already runs work comes before one that
 * runs none, then the most heat headroom (demand minus compute draw). The heat filter has already
 * ensured the room wants at least the job's heat, so no room that is warm gets work; the rank then
 * fills the rooms Hearth is heating up to their demand before it opens a new one, because heat short
 * of a room's demand displaces the room's own heating but lifts it into comfort only when it covers
 * the whole demand. (Before issue #6 the rank was the headroom alone, which gave successive jobs to
 * different cold rooms and spread the heat thin; the season simulation measures both.)
 *
 * <p>It keeps the fleet as compact arrays ({@link Fleet}) and a {@link FleetIndex} over them, so
 * {@link #place}, {@link #updateTelemetry}, {@link #reserve} and {@link #unreserve} cost about
 * O(log n) and allocate nothing at steady state. {@link #explain} and {@link #placeByFullScan} run
 * the named filter pipeline over every node instead: the first to say why a job waits, the second as
 * the reference (the property tests hold both paths equal) and the benchmark baseline.
 *
 * <p>Threading: one placement thread owns an engine and its scratch space; nothing here is
 * thread-safe and nothing takes a lock. Results are values: a slot or -1, a {@link Refusal}.
 * Arguments are checked on entry and rejected with {@link IllegalArgumentException}.
 */
public final class PlacementEngine {
    /** Reservations (and tenant-on-node pairs) the hash maps hold before they first grow. */
    private static final int MIN_EXPECTED_RESERVATIONS = 1 << 14;

    private final PlacementOptions options;
    private final double minHeatFraction;
    private final boolean donatedOnDatacenter;
    private final Fleet fleet;
    private final FleetIndex index;
    private final PlacementFilter[] filters;

    private final Object2IntOpenHashMap<String> tenantIds = new Object2IntOpenHashMap<>();
    private final List<String> tenantNames = new ArrayList<>();
    private final Object2IntOpenHashMap<String> regionIndexes = new Object2IntOpenHashMap<>();
    private final String[] regionNames = new String[Limits.MAX_REGIONS];
    private int regionCount;

    /** reservationId -> record number; records are columns below, recycled through a free stack. */
    private final Long2IntOpenHashMap reservations;
    /** (slot << 32 | tenant) -> reservations that tenant holds on that node. */
    private final Long2IntOpenHashMap tenantReservations;
    private int[] reservationSlots;
    private int[] reservationCores;
    private long[] reservationMemory;
    private int[] reservationTenants;
    private boolean[] reservationExclusive;
    private int reservationRecords;
    private int[] freeRecords;
    private int freeRecordCount;

    public PlacementEngine(PlacementOptions options) {
        this.options = Checks.notNull("options", options);
        this.minHeatFraction = options.minHeatFraction();
        this.donatedOnDatacenter = options.donatedOnDatacenter();
        this.fleet = new Fleet(options.initialCapacity());
        this.index = new FleetIndex(fleet, options.initialCapacity());
        this.filters = Filters.defaults(options).toArray(new PlacementFilter[0]);
        tenantIds.defaultReturnValue(-1);
        regionIndexes.defaultReturnValue(-1);
        int expected = Math.max(MIN_EXPECTED_RESERVATIONS, options.initialCapacity() * 4);
        reservations = new Long2IntOpenHashMap(expected);
        reservations.defaultReturnValue(-1);
        tenantReservations = new Long2IntOpenHashMap(expected);
        reservationSlots = new int[expected];
        reservationCores = new int[expected];
        reservationMemory = new long[expected];
        reservationTenants = new int[expected];
        reservationExclusive = new boolean[expected];
        freeRecords = new int[expected];
    }

    public PlacementEngine() {
        this(PlacementOptions.defaults());
    }

    public PlacementOptions options() {
        return options;
    }

    /** Read access to the fleet's arrays, for filters, tests and dashboards (placement thread only). */
    public Fleet fleet() {
        return fleet;
    }

    /** The filter pipeline in the order it runs. */
    public List<PlacementFilter> filters() {
        return List.of(filters);
    }

    // ---------------------------------------------------------------- fleet (cold path)

    /**
     * Registers a node or updates its static attributes. The same nodeId always maps to the same slot.
     * A new node starts READY with no telemetry (no headroom); a known node keeps its state, telemetry
     * and reservations, so a shrunken node may show negative free cores until they are released.
     */
    public int upsertNode(NodeSpec spec) {
        Checks.notNull("spec", spec);
        long regionBit = 1L << internRegion(spec.region());
        int slot = fleet.slotOf(spec.nodeId());
        if (slot < 0) {
            slot = fleet.add(spec, regionBit);
            index.add(slot);
        } else {
            fleet.update(slot, spec, regionBit);
            index.update(slot);
        }
        return slot;
    }

    public int slotOf(String nodeId) {
        return nodeId == null ? -1 : fleet.slotOf(nodeId);
    }

    public String nodeId(int slot) {
        return fleet.nodeIds[checkSlot(slot)];
    }

    public int nodeCount() {
        return fleet.size;
    }

    /** Only READY nodes receive work; reservations are kept whatever the state. */
    public void setNodeState(int slot, int state) {
        checkSlot(slot);
        Checks.inRange("state", state, NodeStates.MIN, NodeStates.MAX);
        if (fleet.states[slot] != state) {
            fleet.states[slot] = (byte) state;
            index.refresh(slot);
        }
    }

    public int nodeState(int slot) {
        return fleet.states[checkSlot(slot)];
    }

    /** Interns a tenant (job owner) name to a small int, starting at 1; 0 is left for "no tenant". */
    public int tenantId(String tenant) {
        Checks.notBlank("tenant", tenant);
        int id = tenantIds.getInt(tenant);
        if (id < 0) {
            id = tenantNames.size() + 1;
            tenantIds.put(tenant, id);
            tenantNames.add(tenant);
        }
        return id;
    }

    /** The name interned as {@code id}, or null. */
    public String tenantName(int id) {
        return id >= 1 && id <= tenantNames.size() ? tenantNames.get(id - 1) : null;
    }

    /**
     * The mask allowing exactly these regions; 0 (any region) for an empty collection. Regions are
     * interned on first sight, here or by {@link #upsertNode}; an engine knows at most
     * {@value Limits#MAX_REGIONS} distinct regions and refuses the next one with
     * {@link IllegalArgumentException} (nothing is interned then).
     */
    public long regionMask(Collection<String> regions) {
        Checks.notNull("regions", regions);
        int unknown = 0;
        for (String region : regions) {
            Checks.notNull("region", region);
            if (regionIndexes.getInt(region) < 0) {
                unknown++;
            }
        }
        checkRegionRoom(unknown);
        long mask = 0;
        for (String region : regions) {
            mask |= 1L << internRegion(region);
        }
        return mask;
    }

    private int internRegion(String region) {
        int bit = regionIndexes.getInt(region);
        if (bit < 0) {
            checkRegionRoom(1);
            bit = regionCount++;
            regionIndexes.put(region, bit);
            regionNames[bit] = region;
        }
        return bit;
    }

    private void checkRegionRoom(int newRegions) {
        if (regionCount + newRegions > Limits.MAX_REGIONS) {
            throw new IllegalArgumentException("regions: " + (regionCount + newRegions) + " (expected: 0.."
                    + Limits.MAX_REGIONS + " distinct regions)");
        }
    }

    // ---------------------------------------------------------------- hot path

    /** A node's latest report, in watts. O(log n), no allocation. */
    public void updateTelemetry(int slot, double heatDemandWatts, double computeDrawWatts) {
        checkSlot(slot);
        Checks.nonNegative("heatDemandWatts", heatDemandWatts);
        Checks.nonNegative("computeDrawWatts", computeDrawWatts);
        fleet.heatDemandWatts[slot] = heatDemandWatts;
        fleet.computeDrawWatts[slot] = computeDrawWatts;
        double before = fleet.headroomWatts[slot];
        fleet.refreshHeadroom(slot);
        if (fleet.headroomWatts[slot] != before) {
            index.refreshHeadroom(slot);
        }
    }

    /** The best slot for the job, or -1 when no node fits now. Does not reserve. O(log n) typical, no allocation. */
    public int place(JobRequest job) {
        checkJob(job);
        return index.place(job, minHeatFraction, donatedOnDatacenter);
    }

    /**
     * Commits the job's cores, memory, heat and tenant to the node. Idempotent per reservation id: a
     * repeat returns true and changes nothing. False when the node no longer passes every filter.
     */
    public boolean reserve(int slot, long reservationId, JobRequest job) {
        checkSlot(slot);
        checkJob(job);
        if (reservations.containsKey(reservationId)) {
            return true;
        }
        if (!fleet.fits(slot, job, minHeatFraction, donatedOnDatacenter)) {
            return false;
        }
        int record = newRecord();
        reservationSlots[record] = slot;
        reservationCores[record] = job.cores;
        reservationMemory[record] = job.memoryMib;
        reservationTenants[record] = job.tenant;
        reservationExclusive[record] = job.exclusive;
        reservations.put(reservationId, record);

        fleet.freeCores[slot] -= job.cores;
        fleet.reservedCores[slot] += job.cores;
        fleet.freeMemoryMib[slot] -= job.memoryMib;
        fleet.reservedMemoryMib[slot] += job.memoryMib;
        if (job.exclusive) {
            fleet.exclusiveReservations[slot]++;
        }
        if (tenantReservations.addTo(tenantKey(slot, job.tenant), 1) == 0) {
            fleet.tenantsHere[slot]++;
            fleet.tenantIdSum[slot] += job.tenant;
            refreshOwner(slot);
        }
        fleet.refreshHeadroom(slot);
        index.refresh(slot);
        return true;
    }

    /** Releases a reservation. Idempotent: true if something was released. */
    public boolean unreserve(long reservationId) {
        int record = reservations.remove(reservationId);
        if (record < 0) {
            return false;
        }
        int slot = reservationSlots[record];
        int cores = reservationCores[record];
        long memory = reservationMemory[record];
        int tenant = reservationTenants[record];
        fleet.freeCores[slot] += cores;
        fleet.reservedCores[slot] -= cores;
        fleet.freeMemoryMib[slot] += memory;
        fleet.reservedMemoryMib[slot] -= memory;
        if (reservationExclusive[record]) {
            fleet.exclusiveReservations[slot]--;
        }
        long key = tenantKey(slot, tenant);
        if (tenantReservations.addTo(key, -1) == 1) {
            tenantReservations.remove(key);
            fleet.tenantsHere[slot]--;
            fleet.tenantIdSum[slot] -= tenant;
            refreshOwner(slot);
        }
        freeRecords[freeRecordCount++] = record;
        fleet.refreshHeadroom(slot);
        index.refresh(slot);
        return true;
    }

    public boolean isReserved(long reservationId) {
        return reservations.containsKey(reservationId);
    }

    public int reservationCount() {
        return reservations.size();
    }

    public int freeCores(int slot) {
        return fleet.freeCores[checkSlot(slot)];
    }

    public long freeMemoryMib(int slot) {
        return fleet.freeMemoryMib[checkSlot(slot)];
    }

    public double headroomWatts(int slot) {
        return fleet.headroomWatts[checkSlot(slot)];
    }

    private static long tenantKey(int slot, int tenant) {
        return ((long) slot << 32) | (tenant & 0xFFFF_FFFFL);
    }

    private void refreshOwner(int slot) {
        int tenants = fleet.tenantsHere[slot];
        fleet.owners[slot] = tenants == 0 ? Fleet.NO_OWNER
                : tenants == 1 ? (int) fleet.tenantIdSum[slot] : Fleet.SEVERAL_OWNERS;
    }

    private int newRecord() {
        if (freeRecordCount > 0) {
            return freeRecords[--freeRecordCount];
        }
        if (reservationRecords == reservationSlots.length) {
            int capacity = reservationSlots.length * 2;
            reservationSlots = Arrays.copyOf(reservationSlots, capacity);
            reservationCores = Arrays.copyOf(reservationCores, capacity);
            reservationMemory = Arrays.copyOf(reservationMemory, capacity);
            reservationTenants = Arrays.copyOf(reservationTenants, capacity);
            reservationExclusive = Arrays.copyOf(reservationExclusive, capacity);
            freeRecords = Arrays.copyOf(freeRecords, capacity);
        }
        return reservationRecords++;
    }

    private int checkSlot(int slot) {
        if (slot < 0 || slot >= fleet.size) {
            throw new IllegalArgumentException(fleet.size == 0 ? "slot: " + slot + " (expected: no nodes registered)"
                    : "slot: " + slot + " (expected: 0.." + (fleet.size - 1) + ")");
        }
        return slot;
    }

    private static void checkJob(JobRequest job) {
        Checks.notNull("job", job);
        job.validate();
    }

    // ---------------------------------------------------------------- full pipeline (reference, explain)

    /**
     * The same decision as {@link #place}, by running every filter on every node and then picking:
     * O(n). The reference for tests and the baseline for benchmarks. No allocation.
     */
    public int placeByFullScan(JobRequest job) {
        checkJob(job);
        PlacementFilter[] pipeline = filters;
        int bestHeater = -1;
        boolean bestWarming = false;
        double bestHeadroom = Double.NEGATIVE_INFINITY;
        int bestDatacenter = -1;
        int bestFreeCores = Integer.MIN_VALUE;
        int n = fleet.size;
        for (int slot = 0; slot < n; slot++) {
            if (!passesAll(pipeline, slot, job)) {
                continue;
            }
            if (fleet.isHeater(slot)) {
                boolean warming = fleet.isWarming(slot);
                double headroom = fleet.headroomWatts(slot);
                if (bestHeater < 0 || (warming && !bestWarming) || (warming == bestWarming && headroom > bestHeadroom)) {
                    bestHeater = slot;
                    bestWarming = warming;
                    bestHeadroom = headroom;
                }
            } else {
                int free = fleet.freeCores(slot);
                if (bestDatacenter < 0 || free > bestFreeCores) {
                    bestDatacenter = slot;
                    bestFreeCores = free;
                }
            }
        }
        return bestHeater >= 0 ? bestHeater : bestDatacenter;
    }

    private boolean passesAll(PlacementFilter[] pipeline, int slot, JobRequest job) {
        for (PlacementFilter filter : pipeline) {
            if (!filter.accepts(fleet, slot, job)) {
                return false;
            }
        }
        return true;
    }

    /** Why the job waits: nodes rejected per filter, each by the first filter that rejects it. Cold path. */
    public Refusal explain(JobRequest job) {
        checkJob(job);
        if (fleet.size == 0) {
            return new Refusal(List.of(), "no nodes registered");
        }
        int[] rejected = new int[filters.length];
        int fitting = 0;
        for (int slot = 0; slot < fleet.size; slot++) {
            int first = firstRejecting(slot, job);
            if (first < 0) {
                fitting++;
            } else {
                rejected[first]++;
            }
        }
        List<Rejection> rejections = new ArrayList<>();
        List<Integer> byCount = new ArrayList<>();
        for (int f = 0; f < filters.length; f++) {
            if (rejected[f] > 0) {
                rejections.add(new Rejection(filters[f].name(), rejected[f]));
                byCount.add(f);
            }
        }
        byCount.sort((a, b) -> rejected[a] != rejected[b] ? Integer.compare(rejected[b], rejected[a])
                : Integer.compare(a, b));
        StringBuilder summary = new StringBuilder();
        if (fitting > 0) {
            summary.append("fits on ").append(nodes(fitting));
            if (!byCount.isEmpty()) {
                summary.append("; ");
            }
        }
        for (int i = 0; i < byCount.size(); i++) {
            int f = byCount.get(i);
            if (i > 0) {
                summary.append(", ");
            }
            summary.append(i == 0 ? nodes(rejected[f]) : thousands(rejected[f]))
                    .append(' ').append(filters[f].phrase(job));
        }
        return new Refusal(rejections, summary.toString());
    }

    private int firstRejecting(int slot, JobRequest job) {
        for (int f = 0; f < filters.length; f++) {
            if (!filters[f].accepts(fleet, slot, job)) {
                return f;
            }
        }
        return -1;
    }

    private static String nodes(int count) {
        return thousands(count) + (count == 1 ? " node" : " nodes");
    }

    private static String thousands(int count) {
        return String.format(Locale.ROOT, "%,d", count);
    }
}
