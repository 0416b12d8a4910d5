package io.hearth.scheduler.scheduling;

import java.time.Duration;

/**
 * What the placer tells the outside about its decisions (metrics). Called on the placer thread for
 * every job it tries to place, so implementations must be cheap and must not block.
 */
public interface PlacementListener {

  /** How one try to place one job ended. */
  enum Outcome {
    /** Bound to a node and sent. */
    PLACED,
    /** No node passes every filter now; the job stays queued. */
    NO_FIT,
    /** A node was chosen but could not be bound (stream gone, reservation refused); retried later. */
    CONFLICT
  }

  /** One placement decision for a job of {@code tier} took {@code nanos}, ending in {@code outcome}. */
  void decided(int tier, Outcome outcome, long nanos);

  /** A job of {@code tier} was assigned after waiting {@code waited} since it was submitted. */
  void assigned(int tier, Duration waited);

  /** An attempt of a job of {@code tier} was preempted (for a higher tier, or because its room is warm). */
  default void preempted(int tier) {}

  PlacementListener NONE = new PlacementListener() {
    @Override
    public void decided(int tier, Outcome outcome, long nanos) {}

    @Override
    public void assigned(int tier, Duration waited) {}
  };
}
