package io.hearth.client;

import io.grpc.EquivalentAddressGroup;
import io.grpc.NameResolver;
import io.grpc.NameResolverProvider;
import io.grpc.NameResolverRegistry;
import io.grpc.Status;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Channels that reach any member of a scheduler cluster. {@link #target} turns a comma-separated
 * list {@code host:port,host:port} into a gRPC target of the {@value #SCHEME} scheme, whose resolver
 * hands the channel every member in a random order (one per channel, so clients and nodes spread
 * over the members); gRPC's default pick-first policy then connects to the first member that
 * answers and, when that member dies, to the next one on the following call. A single
 * {@code host:port} is returned unchanged.
 */
public final class Members {

  public static final String SCHEME = "hearth-members";
  private static final Random SHUFFLE = new Random();
  private static volatile boolean registered;

  private Members() {}

  /** The gRPC target for a member list {@code host:port[,host:port...]}. */
  public static String target(String members) {
    List<InetSocketAddress> list = parse(members);
    if (list.size() == 1) {
      return members.trim();
    }
    register();
    return SCHEME + ":///" + members.replace(" ", "");
  }

  /** Parses {@code host:port[,host:port...]}; the message names the bad entry. */
  public static List<InetSocketAddress> parse(String members) {
    List<InetSocketAddress> out = new ArrayList<>();
    for (String part : members.split(",")) {
      String p = part.trim();
      int colon = p.lastIndexOf(':');
      if (colon <= 0 || colon == p.length() - 1) {
        throw new IllegalArgumentException("members: '" + p + "' (expected: host:port[,host:port...])");
      }
      int port;
      try {
        port = Integer.parseInt(p.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("members: '" + p + "' (expected: host:port with a numeric port)", e);
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException("members: port " + port + " (expected: 1..65535)");
      }
      out.add(InetSocketAddress.createUnresolved(p.substring(0, colon), port));
    }
    return out;
  }

  private static synchronized void register() {
    if (!registered) {
      NameResolverRegistry.getDefaultRegistry().register(new Provider());
      registered = true;
    }
  }

  private static final class Provider extends NameResolverProvider {
    @Override
    protected boolean isAvailable() {
      return true;
    }

    @Override
    protected int priority() {
      return 5;
    }

    @Override
    public String getDefaultScheme() {
      return SCHEME;
    }

    @Override
    public Collection<Class<? extends SocketAddress>> getProducedSocketAddressTypes() {
      return Collections.singleton(InetSocketAddress.class);
    }

    @Override
    public NameResolver newNameResolver(URI uri, NameResolver.Args args) {
      if (!SCHEME.equals(uri.getScheme())) {
        return null;
      }
      String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
      List<InetSocketAddress> members = parse(path);
      return new NameResolver() {
        private Listener2 listener;

        @Override
        public String getServiceAuthority() {
          // Every member's certificate names the same host for its clients (see hearth-certs).
          InetSocketAddress first = members.get(0);
          return first.getHostString() + ":" + first.getPort();
        }

        @Override
        public void start(Listener2 listener) {
          this.listener = listener;
          resolve();
        }

        @Override
        public void refresh() {
          resolve();
        }

        private void resolve() {
          List<EquivalentAddressGroup> groups = new ArrayList<>();
          for (InetSocketAddress m : members) {
            InetSocketAddress resolved = new InetSocketAddress(m.getHostString(), m.getPort());
            if (resolved.isUnresolved()) {
              continue;
            }
            groups.add(new EquivalentAddressGroup(resolved));
          }
          if (groups.isEmpty()) {
            listener.onError(Status.UNAVAILABLE.withDescription("no member address resolves: " + members));
            return;
          }
          Collections.shuffle(groups, SHUFFLE);
          listener.onResult(ResolutionResult.newBuilder().setAddresses(groups).build());
        }

        @Override
        public void shutdown() {}
      };
    }
  }
}
