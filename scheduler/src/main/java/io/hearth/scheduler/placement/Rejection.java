package io.hearth.scheduler.placement;

/**
 * How many nodes one filter rejected for a job. Immutable.
 *
 * @param filter the filter's {@code name()}, e.g. {@code "security-class"}
 * @param nodes  nodes this filter was the first to reject
 */
public record Rejection(String filter, int nodes) {
    public Rejection {
        Checks.notBlank("filter", filter);
        Checks.inRange("nodes", nodes, 0, Integer.MAX_VALUE);
    }
}
