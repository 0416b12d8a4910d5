package io.hearth.worker.agent;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A read-only view of an attempt whose process runs on this node.
 *
 * @param jobId the job
 * @param fencingToken the token of the assignment
 * @param attempt the 1-based attempt number
 * @param cores cores reserved for it
 * @param pid the OS process id
 * @param workDir its working directory (holds {@code stdout.log} and {@code stderr.log})
 * @param startedAt when the process started
 */
public record RunningAttempt(
    String jobId, long fencingToken, int attempt, int cores, long pid, Path workDir, Instant startedAt) {}
