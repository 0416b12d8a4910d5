package io.hearth.benchmarks.load;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.net.InetSocketAddress;
import java.util.Collection;
import java.util.concurrent.TimeUnit;

/** Client channels of the load: loopback only, one connection each, callbacks on the transport thread. */
final class Channels {
  private Channels() {}

  static ManagedChannel open(int port, ChannelCredentials credentials) {
    return NettyChannelBuilder.forAddress(new InetSocketAddress("127.0.0.1", port), credentials)
        .overrideAuthority("127.0.0.1")
        .directExecutor()
        .build();
  }

  static void closeAll(Collection<ManagedChannel> channels) throws InterruptedException {
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
    for (ManagedChannel c : channels) {
      c.awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
