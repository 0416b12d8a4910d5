package io.hearth.scheduler.placement;

/**
 * The static attributes of a node, as announced in its hello. Validated on construction; immutable.
 *
 * @param nodeId        stable identity of the node
 * @param kind          one of {@link NodeKinds}
 * @param securityClass one of {@link SecurityClasses}
 * @param cores         compute cores, 1..{@value Limits#MAX_CORES}
 * @param memoryMib     memory in MiB
 * @param wattsPerCore  heat a busy core gives off, in watts
 * @param region        region name (interned to one bit; at most {@value Limits#MAX_REGIONS} per engine)
 * @param site          site name, for dashboards
 */
public record NodeSpec(String nodeId, int kind, int securityClass, int cores, long memoryMib, double wattsPerCore,
        String region, String site) {

    public NodeSpec {
        Checks.notBlank("nodeId", nodeId);
        Checks.inRange("kind", kind, NodeKinds.MIN, NodeKinds.MAX);
        Checks.inRange("securityClass", securityClass, SecurityClasses.MIN, SecurityClasses.MAX);
        Checks.inRange("cores", cores, 1, Limits.MAX_CORES);
        Checks.inRange("memoryMib", memoryMib, 1, Limits.MAX_MEMORY_MIB);
        Checks.positive("wattsPerCore", wattsPerCore);
        Checks.notNull("region", region);
        Checks.notNull("site", site);
    }
}
