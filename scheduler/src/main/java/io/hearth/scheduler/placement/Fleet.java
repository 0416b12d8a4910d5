package io.hearth.scheduler.placement;

import io.hearth.scheduler.placement.filter.HeatHeadroomFilter;
import it.unimi.dsi.fastutil.objects.Object2IntOpenHashMap;

import java.util.Arrays;

/**
 * The snapshot of the fleet that placement reads: one slot per node, every attribute in its own
 * primitive array indexed by slot (structure of arrays), so a scan touches only the columns it needs.
 *
 * <p>Owned by the placement thread of its {@link PlacementEngine}: only the engine mutates it, filters
 * read it through the public accessors. Not thread-safe.
 */
public final class Fleet {
    /** {@link #owner(int)} when no reservation is held on the node. */
    public static final int NO_OWNER = -1;
    /** {@link #owner(int)} when reservations of two or more tenants are held on the node. */
    public static final int SEVERAL_OWNERS = -2;

    private final Object2IntOpenHashMap<String> slotsByNodeId;
    int size;

    String[] nodeIds;
    String[] regions;
    String[] sites;
    byte[] kinds;
    byte[] securityClasses;
    byte[] states;
    int[] cores;
    int[] freeCores;
    int[] reservedCores;
    long[] memoryMib;
    long[] freeMemoryMib;
    long[] reservedMemoryMib;
    long[] regionBits;
    double[] wattsPerCore;
    double[] heatDemandWatts;
    double[] computeDrawWatts;
    /** heatDemand - max(computeDraw, reservedCores * wattsPerCore), kept current by the engine. */
    double[] headroomWatts;

    /** Distinct tenants holding reservations on the node. */
    int[] tenantsHere;
    /** Sum of the ids of those distinct tenants: the sole tenant's id when there is exactly one. */
    long[] tenantIdSum;
    int[] owners;
    int[] exclusiveReservations;

    /** Which index tree (see {@link FleetIndex}) holds the node, and at which leaf. */
    int[] groups;
    int[] positions;

    Fleet(int initialCapacity) {
        slotsByNodeId = new Object2IntOpenHashMap<>(initialCapacity);
        slotsByNodeId.defaultReturnValue(-1);
        allocate(initialCapacity);
    }

    private void allocate(int capacity) {
        nodeIds = new String[capacity];
        regions = new String[capacity];
        sites = new String[capacity];
        kinds = new byte[capacity];
        securityClasses = new byte[capacity];
        states = new byte[capacity];
        cores = new int[capacity];
        freeCores = new int[capacity];
        reservedCores = new int[capacity];
        memoryMib = new long[capacity];
        freeMemoryMib = new long[capacity];
        reservedMemoryMib = new long[capacity];
        regionBits = new long[capacity];
        wattsPerCore = new double[capacity];
        heatDemandWatts = new double[capacity];
        computeDrawWatts = new double[capacity];
        headroomWatts = new double[capacity];
        tenantsHere = new int[capacity];
        tenantIdSum = new long[capacity];
        owners = new int[capacity];
        exclusiveReservations = new int[capacity];
        groups = new int[capacity];
        positions = new int[capacity];
    }

    private void grow() {
        int capacity = Math.max(16, nodeIds.length * 2);
        nodeIds = Arrays.copyOf(nodeIds, capacity);
        regions = Arrays.copyOf(regions, capacity);
        sites = Arrays.copyOf(sites, capacity);
        kinds = Arrays.copyOf(kinds, capacity);
        securityClasses = Arrays.copyOf(securityClasses, capacity);
        states = Arrays.copyOf(states, capacity);
        cores = Arrays.copyOf(cores, capacity);
        freeCores = Arrays.copyOf(freeCores, capacity);
        reservedCores = Arrays.copyOf(reservedCores, capacity);
        memoryMib = Arrays.copyOf(memoryMib, capacity);
        freeMemoryMib = Arrays.copyOf(freeMemoryMib, capacity);
        reservedMemoryMib = Arrays.copyOf(reservedMemoryMib, capacity);
        regionBits = Arrays.copyOf(regionBits, capacity);
        wattsPerCore = Arrays.copyOf(wattsPerCore, capacity);
        heatDemandWatts = Arrays.copyOf(heatDemandWatts, capacity);
        computeDrawWatts = Arrays.copyOf(computeDrawWatts, capacity);
        headroomWatts = Arrays.copyOf(headroomWatts, capacity);
        tenantsHere = Arrays.copyOf(tenantsHere, capacity);
        tenantIdSum = Arrays.copyOf(tenantIdSum, capacity);
        owners = Arrays.copyOf(owners, capacity);
        exclusiveReservations = Arrays.copyOf(exclusiveReservations, capacity);
        groups = Arrays.copyOf(groups, capacity);
        positions = Arrays.copyOf(positions, capacity);
    }

    /** Adds a READY node without reservations or telemetry; returns its slot. */
    int add(NodeSpec spec, long regionBit) {
        if (size == nodeIds.length) {
            grow();
        }
        int slot = size++;
        nodeIds[slot] = spec.nodeId();
        slotsByNodeId.put(spec.nodeId(), slot);
        states[slot] = NodeStates.READY;
        owners[slot] = NO_OWNER;
        update(slot, spec, regionBit);
        return slot;
    }

    /** Replaces the static attributes; reservations, telemetry and state stay. */
    void update(int slot, NodeSpec spec, long regionBit) {
        kinds[slot] = (byte) spec.kind();
        securityClasses[slot] = (byte) spec.securityClass();
        cores[slot] = spec.cores();
        memoryMib[slot] = spec.memoryMib();
        wattsPerCore[slot] = spec.wattsPerCore();
        regions[slot] = spec.region();
        sites[slot] = spec.site();
        regionBits[slot] = regionBit;
        freeCores[slot] = cores[slot] - reservedCores[slot];
        freeMemoryMib[slot] = memoryMib[slot] - reservedMemoryMib[slot];
        refreshHeadroom(slot);
    }

    void refreshHeadroom(int slot) {
        headroomWatts[slot] = heatDemandWatts[slot]
                - Math.max(computeDrawWatts[slot], reservedCores[slot] * wattsPerCore[slot]);
    }

    /**
     * Whether the heater already runs work Hearth placed (holds a reservation). Placement ranks a warming
     * heater before every heater that is not, then by headroom: so a room that Hearth has started to heat
     * is filled up to its demand before another room is opened, and among the rooms in the same state
     * the one with the most headroom comes first.
     *
     * <p>Why: a room's own heating holds it somewhat below its setpoint, and only heat up to the room's
     * whole demand lifts it back to the setpoint. The same watts spread one job per room over many rooms
     * displace their heating's energy but warm none of them into comfort; stacked into the rooms already
     * warming they do. A room's need here is therefore what compute can still complete there.
     */
    public boolean isWarming(int slot) {
        return reservedCores[slot] > 0;
    }

    /**
     * Every filter of the default pipeline fused into one test (the index's leaf check and reserve's
     * re-check); the property tests hold it equal to the pipeline.
     */
    boolean fits(int slot, JobRequest job, double minHeatFraction, boolean donatedOnDatacenter) {
        if (states[slot] != NodeStates.READY
                || securityClasses[slot] < job.minSecurityClass
                || (job.regionMask != 0 && (regionBits[slot] & job.regionMask) == 0)
                || freeCores[slot] < job.cores
                || freeMemoryMib[slot] < job.memoryMib) {
            return false;
        }
        int owner = owners[slot];
        if (owner != job.tenant && owner != NO_OWNER && (job.exclusive || exclusiveReservations[slot] > 0)) {
            return false;
        }
        if (kinds[slot] == NodeKinds.DATACENTER) {
            return donatedOnDatacenter || job.tier != Tiers.DONATED;
        }
        return HeatHeadroomFilter.hasHeadroom(headroomWatts[slot], job.cores, wattsPerCore[slot], minHeatFraction);
    }

    boolean fits(int slot, Search s) {
        return fits(slot, s.job, s.minHeatFraction, s.donatedOnDatacenter);
    }

    int slotOf(String nodeId) {
        return slotsByNodeId.getInt(nodeId);
    }

    /** Nodes registered; slots are {@code 0..size()-1}. */
    public int size() {
        return size;
    }

    public String nodeId(int slot) {
        return nodeIds[slot];
    }

    public String region(int slot) {
        return regions[slot];
    }

    public String site(int slot) {
        return sites[slot];
    }

    public int kind(int slot) {
        return kinds[slot];
    }

    public boolean isHeater(int slot) {
        return kinds[slot] != NodeKinds.DATACENTER;
    }

    public int securityClass(int slot) {
        return securityClasses[slot];
    }

    public int state(int slot) {
        return states[slot];
    }

    public int cores(int slot) {
        return cores[slot];
    }

    public int freeCores(int slot) {
        return freeCores[slot];
    }

    public int reservedCores(int slot) {
        return reservedCores[slot];
    }

    public long memoryMib(int slot) {
        return memoryMib[slot];
    }

    public long freeMemoryMib(int slot) {
        return freeMemoryMib[slot];
    }

    /** The node's region as one bit of a region mask. */
    public long regionBit(int slot) {
        return regionBits[slot];
    }

    public double wattsPerCore(int slot) {
        return wattsPerCore[slot];
    }

    public double heatDemandWatts(int slot) {
        return heatDemandWatts[slot];
    }

    public double computeDrawWatts(int slot) {
        return computeDrawWatts[slot];
    }

    /** Heat demand minus the larger of reported compute draw and reserved cores times watts per core. */
    public double headroomWatts(int slot) {
        return headroomWatts[slot];
    }

    /** The tenant holding every reservation on the node, {@link #NO_OWNER} or {@link #SEVERAL_OWNERS}. */
    public int owner(int slot) {
        return owners[slot];
    }

    /** Whether an exclusive reservation is held on the node. */
    public boolean exclusivelyHeld(int slot) {
        return exclusiveReservations[slot] > 0;
    }
}
