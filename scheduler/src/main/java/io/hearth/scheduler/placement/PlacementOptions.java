package io.hearth.scheduler.placement;

/**
 * Settings of one {@link PlacementEngine}. Immutable; change a setting with a wither, which returns a
 * copy. Safe to share between threads.
 */
public final class PlacementOptions {
    /** A heater node takes a job only if its headroom is at least the job's watts times this. */
    public static final double DEFAULT_MIN_HEAT_FRACTION = 1.0;
    /** Operator policy: whether DONATED jobs may use DATACENTER nodes. */
    public static final boolean DEFAULT_DONATED_ON_DATACENTER = false;
    /** Node slots allocated up front; the fleet grows past it (growth allocates, off the hot path). */
    public static final int DEFAULT_INITIAL_CAPACITY = 1024;
    /** Most node slots allocated up front. */
    public static final int MAX_INITIAL_CAPACITY = 1 << 24;

    private static final PlacementOptions DEFAULTS = new PlacementOptions();

    private final double minHeatFraction;
    private final boolean donatedOnDatacenter;
    private final int initialCapacity;

    /** The defaults. */
    public PlacementOptions() {
        this(DEFAULT_MIN_HEAT_FRACTION, DEFAULT_DONATED_ON_DATACENTER, DEFAULT_INITIAL_CAPACITY);
    }

    private PlacementOptions(double minHeatFraction, boolean donatedOnDatacenter, int initialCapacity) {
        this.minHeatFraction = Checks.nonNegative("minHeatFraction", minHeatFraction);
        this.donatedOnDatacenter = donatedOnDatacenter;
        this.initialCapacity = Checks.inRange("initialCapacity", initialCapacity, 1, MAX_INITIAL_CAPACITY);
    }

    public static PlacementOptions defaults() {
        return DEFAULTS;
    }

    public double minHeatFraction() {
        return minHeatFraction;
    }

    public boolean donatedOnDatacenter() {
        return donatedOnDatacenter;
    }

    public int initialCapacity() {
        return initialCapacity;
    }

    public PlacementOptions withMinHeatFraction(double minHeatFraction) {
        return new PlacementOptions(minHeatFraction, donatedOnDatacenter, initialCapacity);
    }

    public PlacementOptions withDonatedOnDatacenter(boolean donatedOnDatacenter) {
        return new PlacementOptions(minHeatFraction, donatedOnDatacenter, initialCapacity);
    }

    public PlacementOptions withInitialCapacity(int initialCapacity) {
        return new PlacementOptions(minHeatFraction, donatedOnDatacenter, initialCapacity);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof PlacementOptions)) {
            return false;
        }
        PlacementOptions that = (PlacementOptions) o;
        return Double.compare(minHeatFraction, that.minHeatFraction) == 0
                && donatedOnDatacenter == that.donatedOnDatacenter
                && initialCapacity == that.initialCapacity;
    }

    @Override
    public int hashCode() {
        return (Double.hashCode(minHeatFraction) * 31 + Boolean.hashCode(donatedOnDatacenter)) * 31 + initialCapacity;
    }

    @Override
    public String toString() {
        return "PlacementOptions{minHeatFraction=" + minHeatFraction + ", donatedOnDatacenter=" + donatedOnDatacenter
                + ", initialCapacity=" + initialCapacity + '}';
    }
}
