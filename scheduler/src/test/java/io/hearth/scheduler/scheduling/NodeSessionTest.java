package io.hearth.scheduler.scheduling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.grpc.stub.StreamObserver;
import io.hearth.api.v1.Assignment;
import io.hearth.api.v1.Hello;
import io.hearth.api.v1.NodeKind;
import io.hearth.api.v1.SchedulerMessage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The useful-heat fraction a node's own stream measures for each attempt: weighted by the time each
 * telemetry report covers, taken at the assignment for an attempt shorter than a report, zero on a
 * data-center node, and not measured on a leader's relay of the stream.
 */
class NodeSessionTest {

  private final List<SchedulerMessage> sent = new ArrayList<>();
  private final StreamObserver<SchedulerMessage> sink = new StreamObserver<>() {
    @Override public void onNext(SchedulerMessage m) { sent.add(m); }
    @Override public void onError(Throwable t) { }
    @Override public void onCompleted() { }
  };

  private static Hello node(NodeKind kind) {
    return Hello.newBuilder().setNodeId("n-1").setKind(kind).setCores(8).build();
  }

  private static SchedulerMessage assignment(long token) {
    return SchedulerMessage.newBuilder().setAssignment(Assignment.newBuilder().setJobId("job-" + token)
        .setFencingToken(token)).build();
  }

  @Test
  void anAttemptsFractionIsWeightedByTheTimeEachReportCovers() {
    NodeSession s = new NodeSession(node(NodeKind.NODE_KIND_RADIATOR), 2, sink, 0, true);
    s.recordTelemetry(1000, 500, 20, 5, 1_000);      // the room wants twice the draw: all useful
    assertThat(s.send(assignment(7))).isTrue();
    s.recordTelemetry(250, 500, 21, 5, 4_000);       // 3 s at half useful
    s.recordTelemetry(1000, 500, 20, 5, 5_000);      // 1 s all useful

    assertThat(s.endedAttemptFraction(7)).isCloseTo((0.5 * 3000 + 1.0 * 1000) / 4000, within(1e-12));
    assertThat(s.endedAttemptFraction(7)).as("forgotten once ended").isNull();
    assertThat(sent).hasSize(1);
  }

  @Test
  void anAttemptEndingBeforeTheNextReportTakesTheFractionAtItsAssignment() {
    NodeSession s = new NodeSession(node(NodeKind.NODE_KIND_BOILER), 2, sink, 0, true);
    s.recordTelemetry(300, 400, 50, 5, 1_000);
    s.send(assignment(8));
    assertThat(s.endedAttemptFraction(8)).isCloseTo(0.75, within(1e-12));
    // A heater drawing nothing counts as fully useful while it wants heat.
    s.recordTelemetry(300, 0, 50, 5, 2_000);
    s.send(assignment(9));
    assertThat(s.endedAttemptFraction(9)).isEqualTo(1.0);
  }

  @Test
  void aDataCenterNodesHeatIsNeverUsefulAndARelayMeasuresNothing() {
    NodeSession dc = new NodeSession(node(NodeKind.NODE_KIND_DATACENTER), 4, sink, 0, true);
    dc.recordTelemetry(0, 400, 25, 5, 1_000);
    dc.send(assignment(10));
    dc.recordTelemetry(0, 400, 25, 5, 3_000);
    assertThat(dc.endedAttemptFraction(10)).isZero();

    NodeSession relay = new NodeSession(node(NodeKind.NODE_KIND_RADIATOR), 2, sink, 0);
    relay.recordTelemetry(1000, 500, 20, 5, 1_000);
    relay.send(assignment(11));
    assertThat(relay.endedAttemptFraction(11)).as("the leader accounts attempts it relays").isNull();
  }
}
