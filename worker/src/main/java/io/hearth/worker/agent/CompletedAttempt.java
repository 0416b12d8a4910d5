package io.hearth.worker.agent;

import io.hearth.api.v1.AttemptState;
import java.time.Instant;

/**
 * The agent's own record of an attempt that ended on this node.
 *
 * @param jobId the job
 * @param fencingToken the token of the assignment
 * @param state the end state reported: SUCCEEDED, FAILED, CANCELLED, TIMED_OUT or PREEMPTED
 * @param exitCode the process exit code, or -1 when the process never started
 * @param nodeId the node that ran it
 * @param attempt the 1-based attempt number
 * @param message extra words (why it could not start, the cancellation reason), may be empty
 * @param endedAt when the process exited on this node
 */
public record CompletedAttempt(
    String jobId,
    long fencingToken,
    AttemptState state,
    int exitCode,
    String nodeId,
    int attempt,
    String message,
    Instant endedAt) {}
