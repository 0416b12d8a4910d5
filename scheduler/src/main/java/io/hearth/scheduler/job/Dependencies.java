package io.hearth.scheduler.job;

import io.hearth.api.v1.DependencyCondition;
import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobDependency;
import io.hearth.api.v1.JobState;
import java.util.function.Function;

/**
 * Whether a BLOCKED job may run: each parent must have ended as its dependency's condition requires
 * (AFTER_SUCCESS, the default: SUCCEEDED; AFTER_ANY_END: any terminal state). An array job counts
 * through its aggregate state, which is terminal only once all its instances ended and SUCCEEDED
 * only when all succeeded. Pure: parents are looked up through the given function.
 */
public final class Dependencies {

  private Dependencies() {}

  public enum Outcome { WAIT, RELEASE, FAIL }

  /** The verdict on a blocked job; {@code reason} says why it fails. */
  public record Verdict(Outcome outcome, String reason) {
    static final Verdict WAIT = new Verdict(Outcome.WAIT, "");
    static final Verdict RELEASE = new Verdict(Outcome.RELEASE, "");
  }

  /** Parents are named by job id once accepted (a request_id is resolved at submission). */
  public static Verdict evaluate(Job child, Function<String, Job> parents) {
    boolean waiting = false;
    for (JobDependency d : child.getSpec().getDependsOnList()) {
      Job parent = parents.apply(d.getJobId());
      if (parent == null) {
        // The retention sweep keeps every job a BLOCKED job waits on; one gone cannot end as required.
        return new Verdict(Outcome.FAIL, "parent job " + d.getJobId() + " no longer exists (deleted after the retention"
            + " of ended jobs)");
      }
      JobState s = parent.getState();
      if (!JobLifecycle.isTerminal(s)) {
        waiting = true;
        continue;
      }
      boolean anyEnd = d.getCondition() == DependencyCondition.DEPENDENCY_CONDITION_AFTER_ANY_END;
      if (!anyEnd && s != JobState.JOB_STATE_SUCCEEDED) {
        return new Verdict(Outcome.FAIL, "parent job " + d.getJobId() + " ended " + s.name().substring("JOB_STATE_".length()));
      }
    }
    return waiting ? Verdict.WAIT : Verdict.RELEASE;
  }

  /** Whether {@code child} names one of {@code parentIds} among its parents. */
  public static boolean dependsOnAny(Job child, java.util.Set<String> parentIds) {
    for (JobDependency d : child.getSpec().getDependsOnList()) {
      if (parentIds.contains(d.getJobId())) {
        return true;
      }
    }
    return false;
  }
}
