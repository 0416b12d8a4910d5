package io.hearth.scheduler.placement;

import java.util.List;

/**
 * Why a job does not fit now: nodes rejected per filter (each node counted once, by the first filter
 * in pipeline order that rejects it) and a sentence for people, such as
 * {@code "9,412 nodes below SEALED, 588 without heat headroom"}. Immutable.
 *
 * @param rejections filters that rejected at least one node, in pipeline order
 * @param summary    reasons, most numerous first; {@code "no nodes registered"} for an empty fleet; when
 *                   some nodes do fit it starts with {@code "fits on N nodes"}
 */
public record Refusal(List<Rejection> rejections, String summary) {
    public Refusal {
        rejections = List.copyOf(Checks.notNull("rejections", rejections));
        Checks.notNull("summary", summary);
    }

    /** Nodes rejected by the filter of this name, 0 if none. */
    public int rejectedBy(String filter) {
        for (Rejection r : rejections) {
            if (r.filter().equals(filter)) {
                return r.nodes();
            }
        }
        return 0;
    }
}
