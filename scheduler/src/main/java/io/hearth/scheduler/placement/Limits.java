package io.hearth.scheduler.placement;

/** Bounds shared by node specs and job requests. Immutable constants. */
public final class Limits {
    /** Most cores one node has or one job asks for. */
    public static final int MAX_CORES = 1024;
    /** Most memory one node has or one job asks for, in MiB (1 PiB). */
    public static final long MAX_MEMORY_MIB = 1L << 30;
    /** Most distinct regions; each region is one bit of a {@code long} mask. */
    public static final int MAX_REGIONS = 64;

    private Limits() {}
}
