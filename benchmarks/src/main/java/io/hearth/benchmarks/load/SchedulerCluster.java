package io.hearth.benchmarks.load;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The members of one load run. Heap and CPU are summed over the members (so "per node" is the
 * whole cluster's cost); JFR records the first member only. Connections are spread by index.
 */
final class SchedulerCluster implements AutoCloseable {
  private final List<SchedulerProcess> members;

  SchedulerCluster(List<SchedulerProcess> members) {
    this.members = List.copyOf(members);
  }

  static SchedulerCluster start(LoadOptions o, Path dir, LoadPki pki) throws Exception {
    return new SchedulerCluster(SchedulerProcess.startCluster(o, dir, pki));
  }

  List<SchedulerProcess> members() {
    return members;
  }

  SchedulerProcess first() {
    return members.get(0);
  }

  /** The gRPC port of the member that connection {@code index} uses. */
  int portFor(int index) {
    return members.get(index % members.size()).grpcPort();
  }

  long heapUsedAfterGc() throws Exception {
    long sum = 0;
    for (SchedulerProcess m : members) {
      sum += m.heapUsedAfterGc();
    }
    return sum;
  }

  double cpuSeconds() throws Exception {
    double sum = 0;
    for (SchedulerProcess m : members) {
      sum += m.cpuSeconds();
    }
    return sum;
  }

  Map<String, long[]> classHistogram() throws Exception {
    Map<String, long[]> sum = new HashMap<>();
    for (SchedulerProcess m : members) {
      m.classHistogram().forEach((k, v) -> sum.merge(k, v, (a, b) -> new long[] {a[0] + b[0], a[1] + b[1]}));
    }
    return sum;
  }

  @Override
  public void close() {
    members.forEach(SchedulerProcess::close);
  }
}
