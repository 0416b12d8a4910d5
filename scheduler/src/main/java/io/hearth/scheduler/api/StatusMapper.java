package io.hearth.scheduler.api;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place where failures become gRPC statuses. Domain failures keep their message;
 * anything unexpected becomes INTERNAL with a generic description while the cause stays in the
 * server log. Hazelcast losing its members is UNAVAILABLE, which clients retry.
 */
public final class StatusMapper {

  private static final Logger LOG = LoggerFactory.getLogger(StatusMapper.class);

  private StatusMapper() {}

  public static StatusRuntimeException toStatus(Throwable t) {
    Throwable cause = unwrap(t);
    if (cause instanceof StatusRuntimeException sre) {
      return sre;
    }
    if (cause instanceof HearthException he) {
      Status status = switch (he.kind()) {
        case INVALID_ARGUMENT -> Status.INVALID_ARGUMENT;
        case NOT_FOUND -> Status.NOT_FOUND;
        case UNAUTHENTICATED -> Status.UNAUTHENTICATED;
        case PERMISSION_DENIED -> Status.PERMISSION_DENIED;
        case RESOURCE_EXHAUSTED -> Status.RESOURCE_EXHAUSTED;
        case FAILED_PRECONDITION -> Status.FAILED_PRECONDITION;
        case UNAVAILABLE -> Status.UNAVAILABLE;
        case ABORTED -> Status.ABORTED;
      };
      return status.withDescription(he.getMessage()).asRuntimeException();
    }
    if (isTransient(cause)) {
      LOG.warn("cluster state unavailable: {}", cause.toString());
      return Status.UNAVAILABLE.withDescription("cluster state unavailable, retry").asRuntimeException();
    }
    LOG.error("internal error", cause);
    return Status.INTERNAL.withDescription("internal error").asRuntimeException();
  }

  /** Runs a unary call's body and answers its result, or its failure mapped to a status. */
  public static <T> void respond(io.grpc.stub.StreamObserver<T> out, java.util.function.Supplier<T> body) {
    T result;
    try {
      result = body.get();
    } catch (RuntimeException e) {
      out.onError(toStatus(e));
      return;
    }
    out.onNext(result);
    out.onCompleted();
  }

  /**
   * Failures a retry may cure: a member left or is not active, the cluster lost its majority
   * (split-brain protection), or the durable store could not be reached (the change was not made).
   */
  public static boolean isTransient(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof com.hazelcast.core.HazelcastInstanceNotActiveException
          || c instanceof com.hazelcast.spi.exception.TargetDisconnectedException
          || c instanceof com.hazelcast.spi.exception.RetryableException
          || c instanceof com.hazelcast.splitbrainprotection.SplitBrainProtectionException
          || c instanceof io.hearth.scheduler.cluster.DurableStore.DurableStoreException
          || c instanceof java.sql.SQLException) {
        return true;
      }
    }
    return false;
  }

  private static Throwable unwrap(Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    return c;
  }
}
