package io.hearth.scheduler.api;

/**
 * A domain failure with the kind that decides its gRPC status (see {@link StatusMapper}). The
 * message is safe to show the caller: it names the field and the bound, never a secret.
 */
public final class HearthException extends RuntimeException {

  public enum Kind {
    INVALID_ARGUMENT,
    NOT_FOUND,
    UNAUTHENTICATED,
    PERMISSION_DENIED,
    RESOURCE_EXHAUSTED,
    FAILED_PRECONDITION,
    UNAVAILABLE,
    ABORTED
  }

  private final Kind kind;

  public HearthException(Kind kind, String message) {
    super(message, null, false, false);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }

  public static HearthException invalid(String message) {
    return new HearthException(Kind.INVALID_ARGUMENT, message);
  }

  public static HearthException notFound(String message) {
    return new HearthException(Kind.NOT_FOUND, message);
  }

  public static HearthException unauthenticated(String message) {
    return new HearthException(Kind.UNAUTHENTICATED, message);
  }

  public static HearthException denied(String message) {
    return new HearthException(Kind.PERMISSION_DENIED, message);
  }

  public static HearthException unavailable(String message) {
    return new HearthException(Kind.UNAVAILABLE, message);
  }
}
