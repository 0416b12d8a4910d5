package io.hearth.scheduler.placement.filter;

import io.hearth.scheduler.placement.Fleet;
import io.hearth.scheduler.placement.JobRequest;

/**
 * One hard constraint of placement: a node either passes it or is rejected for a reason a person can
 * read. Implementations are stateless apart from their settings, allocate nothing in
 * {@link #accepts}, and are called from the engine's placement thread only.
 */
public interface PlacementFilter {

    /** Stable, lower-case name used in rejection counts, e.g. {@code "security-class"}. */
    String name();

    /** Whether the node in {@code slot} may take {@code job}. */
    boolean accepts(Fleet fleet, int slot, JobRequest job);

    /** What the rejected nodes are, for a summary such as "9,412 nodes below SEALED" (cold path). */
    String phrase(JobRequest job);
}
