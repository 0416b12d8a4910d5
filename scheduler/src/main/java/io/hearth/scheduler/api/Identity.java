package io.hearth.scheduler.api;

import io.grpc.Context;

/**
 * Who is calling: a role and an id, resolved once per call by {@link IdentityInterceptor} and read
 * by the services from the gRPC context.
 */
public record Identity(Role role, String id, int securityClass) {

  public enum Role {
    TENANT("tenant"),
    NONPROFIT("nonprofit"),
    NODE("node"),
    OPERATOR("operator");

    private final String word;

    Role(String word) {
      this.word = word;
    }

    public String word() {
      return word;
    }
  }

  /** The identity of the current call; set by {@link IdentityInterceptor}. */
  public static final Context.Key<Identity> CONTEXT_KEY = Context.key("hearth-identity");

  /** Largest id accepted, characters. */
  public static final int MAX_ID_LENGTH = 128;

  /** An identity without an attested security class (every role but nodes). */
  public Identity(Role role, String id) {
    this(role, id, 0);
  }

  public Identity {
    if (securityClass < 0 || securityClass > 4) {
      throw new IllegalArgumentException("securityClass: " + securityClass + " (expected: 0..4)");
    }
    if (role == null) {
      throw new IllegalArgumentException("role: null (expected: one of tenant, nonprofit, node, operator)");
    }
    if (id == null || id.isEmpty() || id.length() > MAX_ID_LENGTH) {
      throw new IllegalArgumentException(
          "id: " + (id == null ? "null" : id.length() + " characters") + " (expected: 1.." + MAX_ID_LENGTH + " characters)");
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (!(Character.isLetterOrDigit(c) || c == '-' || c == '_' || c == '.')) {
        throw new IllegalArgumentException("id: '" + id + "' (expected: letters, digits, '-', '_' or '.')");
      }
    }
  }

  /** Parses {@code role/id}, e.g. {@code tenant/acme-bank}. */
  public static Identity parse(String text) {
    int slash = text.indexOf('/');
    if (slash <= 0) {
      throw new IllegalArgumentException("identity: '" + text + "' (expected: role/id, e.g. tenant/acme)");
    }
    String word = text.substring(0, slash);
    for (Role r : Role.values()) {
      if (r.word.equals(word)) {
        return new Identity(r, text.substring(slash + 1));
      }
    }
    throw new IllegalArgumentException("identity role: '" + word + "' (expected: tenant, nonprofit, node or operator)");
  }

  /** The identity of the current gRPC call, never null inside an intercepted service. */
  public static Identity current() {
    Identity id = CONTEXT_KEY.get();
    if (id == null) {
      throw HearthException.unauthenticated("no identity on this call");
    }
    return id;
  }

  @Override
  public String toString() {
    return role.word + "/" + id;
  }
}
