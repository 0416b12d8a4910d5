package io.hearth.cli;

import io.grpc.Status;

/**
 * What {@code hearth}'s exit status means; scripts may rely on these. The README lists them.
 */
final class ExitCodes {

  /** Done; every job waited for succeeded. */
  static final int OK = 0;
  /** A job waited for (or an instance of it) ended FAILED, CANCELLED or EXPIRED. */
  static final int JOB_FAILED = 1;
  /** Bad flags, a bad job file, or the scheduler refused the request as invalid (INVALID_ARGUMENT). */
  static final int BAD_INPUT = 2;
  /** Unknown job, or not allowed: NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED. */
  static final int NOT_FOUND_OR_DENIED = 3;
  /** The scheduler could not be reached in time: UNAVAILABLE, DEADLINE_EXCEEDED. */
  static final int UNAVAILABLE = 4;
  /** Over quota or rate: RESOURCE_EXHAUSTED. */
  static final int QUOTA = 5;
  /** Still running when the wait ran out (--timeout of watch, submit --wait). */
  static final int STILL_RUNNING = 6;
  /** Anything else the scheduler answered (INTERNAL, UNKNOWN...). */
  static final int SERVER_ERROR = 7;

  private ExitCodes() {}

  static int of(Status.Code code) {
    return switch (code) {
      case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE, ALREADY_EXISTS -> BAD_INPUT;
      case NOT_FOUND, PERMISSION_DENIED, UNAUTHENTICATED -> NOT_FOUND_OR_DENIED;
      case UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED -> UNAVAILABLE;
      case RESOURCE_EXHAUSTED -> QUOTA;
      default -> SERVER_ERROR;
    };
  }
}
