package io.hearth.scheduler.placement;

/**
 * What placement needs to know about one job. Mutable so that the placement thread can reuse one
 * instance for a whole queue without allocating; not thread-safe. The engine validates it at every
 * call that takes it.
 */
public final class JobRequest {
    /** Cores wanted, 1..{@value Limits#MAX_CORES}. */
    public int cores = 1;
    /** Memory wanted in MiB, 0..{@link Limits#MAX_MEMORY_MIB}. */
    public long memoryMib;
    /** Lowest acceptable node class, one of {@link SecurityClasses}. */
    public int minSecurityClass = SecurityClasses.OPEN;
    /** One of {@link Tiers}. */
    public int tier = Tiers.ON_DEMAND;
    /** No co-tenancy: the node must hold no other tenant's work. */
    public boolean exclusive;
    /** Owner, as interned by {@link PlacementEngine#tenantId(String)}; {@code >= 0}. */
    public int tenant;
    /** Allowed regions as built by {@link PlacementEngine#regionMask(java.util.Collection)}; 0 = any. */
    public long regionMask;

    public JobRequest cores(int cores) {
        this.cores = cores;
        return this;
    }

    public JobRequest memoryMib(long memoryMib) {
        this.memoryMib = memoryMib;
        return this;
    }

    public JobRequest minSecurityClass(int minSecurityClass) {
        this.minSecurityClass = minSecurityClass;
        return this;
    }

    public JobRequest tier(int tier) {
        this.tier = tier;
        return this;
    }

    public JobRequest exclusive(boolean exclusive) {
        this.exclusive = exclusive;
        return this;
    }

    public JobRequest tenant(int tenant) {
        this.tenant = tenant;
        return this;
    }

    public JobRequest regionMask(long regionMask) {
        this.regionMask = regionMask;
        return this;
    }

    /** Copies every field of {@code other} into this request. */
    public JobRequest set(JobRequest other) {
        cores = other.cores;
        memoryMib = other.memoryMib;
        minSecurityClass = other.minSecurityClass;
        tier = other.tier;
        exclusive = other.exclusive;
        tenant = other.tenant;
        regionMask = other.regionMask;
        return this;
    }

    /** Throws {@link IllegalArgumentException} naming the first field out of bounds. */
    public void validate() {
        Checks.inRange("cores", cores, 1, Limits.MAX_CORES);
        Checks.inRange("memoryMib", memoryMib, 0, Limits.MAX_MEMORY_MIB);
        Checks.inRange("minSecurityClass", minSecurityClass, SecurityClasses.MIN, SecurityClasses.MAX);
        Checks.inRange("tier", tier, Tiers.MIN, Tiers.MAX);
        Checks.inRange("tenant", tenant, 0, Integer.MAX_VALUE);
    }

    @Override
    public String toString() {
        return "JobRequest{cores=" + cores + ", memoryMib=" + memoryMib + ", minSecurityClass="
                + SecurityClasses.name(minSecurityClass) + ", tier=" + Tiers.name(tier) + ", exclusive=" + exclusive
                + ", tenant=" + tenant + ", regionMask=0x" + Long.toHexString(regionMask) + '}';
    }
}
