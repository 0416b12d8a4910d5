package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hearth.scheduler.config.SchedulerOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * Two members that know no member list find each other through a DNS name, as pods do through
 * the chart's headless Service: here {@code localhost}, which resolves to the loopback address the
 * first member listens on. Each member starts only once a majority of two has joined, so both
 * starting proves the kubernetes join found the other.
 */
class KubernetesDiscoveryIT {

  static final List<TestScheduler> members = new ArrayList<>();

  @AfterAll
  static void stop() {
    members.forEach(TestScheduler::close);
  }

  @Test
  void membersWithoutAMemberListJoinThroughTheServiceDnsName() throws Exception {
    int port = ClusterIT.freePort();
    SchedulerOptions base = TestScheduler.options()
        .clusterName("hearth-k8s-" + UUID.randomUUID())
        .clusterPort(port)
        .kubernetesServiceDns("localhost")
        .expectedMembers(2)
        .build();
    members.addAll(ClusterIT.startAll(List.of(base, base)));
    await().atMost(Duration.ofSeconds(30))
        .until(() -> members.stream().filter(m -> m.scheduler.placer().isLeader()).count() == 1);
    assertThat(members).allSatisfy(m -> assertThat(m.scheduler.options().clusterMembers()).isEmpty());
  }
}
