package io.hearth.helm;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.LintResult;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.hearth.scheduler.HearthScheduler;
import io.hearth.scheduler.cluster.HazelcastConfigs;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** The chart lints, and each values scenario renders the objects and properties it promises. */
class ChartRenderTest {

  static final String HEADLESS_DNS = "hearth-headless.heat.svc.cluster.local";

  @Test
  void theChartLintsCleanWithItsDefaultValues() {
    LintResult lint = Chart.lint();
    assertThat(lint.isFailed()).as("helm lint --strict: %s", lint.getMessages()).isFalse();
  }

  static List<String> scenarios() {
    return Chart.scenarios();
  }

  @ParameterizedTest
  @MethodSource("scenarios")
  void everyScenarioRendersASchedulerThatIsNonRootWithLimitsAndProbesOnTheHealthPort(String scenario) {
    Chart chart = Chart.render(scenario);
    checkSchedulerPod(chart);
    for (Deployment worker : chart.workers()) {
      PodSpec pod = worker.getSpec().getTemplate().getSpec();
      checkLockedDown(pod);
      assertThat(pod.getContainers().get(0).getResources().getLimits()).containsKeys("cpu", "memory");
    }
  }

  @Test
  void theDefaultsRunThreeMembersThatFindEachOtherThroughTheHeadlessService() {
    Chart chart = Chart.render(null);
    StatefulSet sts = chart.scheduler();
    assertThat(sts.getSpec().getReplicas()).isEqualTo(3);
    assertThat(sts.getSpec().getPodManagementPolicy()).isEqualTo("Parallel");
    assertThat(sts.getSpec().getServiceName()).isEqualTo("hearth-headless");

    Service headless = chart.one(Service.class, "hearth-headless");
    assertThat(headless.getSpec().getClusterIP()).isEqualTo("None");
    assertThat(headless.getSpec().getPublishNotReadyAddresses()).isTrue();
    assertThat(headless.getSpec().getSelector()).isEqualTo(sts.getSpec().getSelector().getMatchLabels());
    assertThat(headless.getSpec().getPorts()).extracting(ServicePort::getPort).containsExactly(5701);

    Map<String, String> env = chart.schedulerEnv();
    assertThat(env).containsEntry("HEARTH_CLUSTER_KUBERNETES_SERVICE_DNS", HEADLESS_DNS)
        .containsEntry("HEARTH_CLUSTER_EXPECTED_MEMBERS", "3")
        .containsEntry("HEARTH_CLUSTER_HOST", "(from field status.podIP)")
        .containsEntry("HEARTH_STORE_TYPE", "journal")
        .containsEntry("HEARTH_HEALTH_PORT", "7071")
        .doesNotContainKey("HEARTH_CLUSTER_MEMBERS");

    // A drain keeps a majority: 2 of 3.
    PodDisruptionBudget pdb = chart.one(PodDisruptionBudget.class, "hearth");
    assertThat(pdb.getSpec().getMinAvailable().getIntVal()).isEqualTo(2);
    assertThat(pdb.getSpec().getSelector().getMatchLabels()).isEqualTo(sts.getSpec().getSelector().getMatchLabels());

    var antiAffinity = sts.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity();
    assertThat(antiAffinity.getPreferredDuringSchedulingIgnoredDuringExecution()).singleElement()
        .satisfies(t -> assertThat(t.getPodAffinityTerm().getTopologyKey()).isEqualTo("kubernetes.io/hostname"));

    assertThat(sts.getSpec().getVolumeClaimTemplates()).singleElement()
        .satisfies(c -> assertThat(c.getSpec().getResources().getRequests().get("storage").toString()).isEqualTo("2Gi"));
    assertThat(chart.has("ServiceMonitor")).isFalse();
    assertThat(chart.all(ConfigMap.class)).extracting(c -> c.getMetadata().getName()).containsExactly("hearth-scheduler");
    assertThat(chart.workers()).isEmpty();
  }

  @Test
  void theDefaultsExposeGrpcTheDashboardAndMetricsAsServices() {
    Chart chart = Chart.render(null);
    assertThat(chart.one(Service.class, "hearth").getSpec().getPorts()).singleElement().satisfies(p -> {
      assertThat(p.getName()).isEqualTo("grpc");
      assertThat(p.getPort()).isEqualTo(7070);
      assertThat(p.getTargetPort().getStrVal()).isEqualTo("grpc");
    });
    assertThat(chart.one(Service.class, "hearth-dashboard").getSpec().getPorts()).singleElement()
        .satisfies(p -> assertThat(p.getTargetPort().getStrVal()).isEqualTo("https"));
    assertThat(chart.one(Service.class, "hearth-metrics").getSpec().getPorts()).singleElement()
        .satisfies(p -> assertThat(p.getName()).isEqualTo("metrics"));
    Map<String, Integer> containerPorts = chart.schedulerContainer().getPorts().stream()
        .collect(Collectors.toMap(p -> p.getName(), p -> p.getContainerPort()));
    assertThat(containerPorts).containsExactlyInAnyOrderEntriesOf(
        Map.of("grpc", 7070, "health", 7071, "https", 8080, "hazelcast", 5701));
  }

  @Test
  void theGracePeriodCoversTheDrainAndThePartitionHandOver() {
    long needed = HearthScheduler.DRAIN.toSeconds() + HazelcastConfigs.GRACEFUL_SHUTDOWN_MAX_WAIT.toSeconds();
    assertThat(Chart.render(null).scheduler().getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds())
        .isGreaterThan(needed);
  }

  @Test
  void theNetworkPolicyOpensHazelcastOnlyToMembersAndNothingToAgents() {
    Chart chart = Chart.render(null);
    NetworkPolicy scheduler = chart.one(NetworkPolicy.class, "hearth-scheduler");
    var hazelcast = scheduler.getSpec().getIngress().stream()
        .filter(r -> r.getPorts().get(0).getPort().getIntVal() == 5701).findFirst().orElseThrow();
    assertThat(hazelcast.getFrom()).singleElement().satisfies(peer ->
        assertThat(peer.getPodSelector().getMatchLabels()).containsEntry("app.kubernetes.io/component", "scheduler"));
    assertThat(scheduler.getSpec().getIngress()).extracting(r -> r.getPorts().get(0).getPort().getIntVal())
        .containsExactlyInAnyOrder(5701, 7070, 8080, 7071);
    NetworkPolicy worker = chart.one(NetworkPolicy.class, "hearth-worker");
    assertThat(worker.getSpec().getPolicyTypes()).containsExactly("Ingress");
    assertThat(worker.getSpec().getIngress()).isEmpty();
  }

  @Test
  void theMinimalScenarioRunsOneMemberWithoutVolumesPdbOrPolicies() {
    Chart chart = Chart.render("minimal-values.yaml");
    StatefulSet sts = chart.scheduler();
    assertThat(sts.getSpec().getReplicas()).isEqualTo(1);
    assertThat(sts.getSpec().getVolumeClaimTemplates()).isEmpty();
    assertThat(sts.getSpec().getTemplate().getSpec().getVolumes()).filteredOn(v -> v.getName().equals("data"))
        .singleElement().satisfies(v -> assertThat(v.getEmptyDir()).isNotNull());
    assertThat(chart.schedulerEnv()).containsEntry("HEARTH_CLUSTER_EXPECTED_MEMBERS", "1");
    assertThat(chart.has("PodDisruptionBudget")).isFalse();
    assertThat(chart.has("NetworkPolicy")).isFalse();
    assertThat(chart.schedulerContainer().getResources().getLimits().get("memory").toString()).isEqualTo("1Gi");
  }

  @Test
  void thePostgresqlScenarioPointsEveryMemberAtTheDatabaseWithThePasswordFromItsSecret() {
    Chart chart = Chart.render("postgresql-values.yaml");
    Map<String, String> env = chart.schedulerEnv();
    assertThat(env).containsEntry("HEARTH_STORE_TYPE", "postgresql")
        .containsEntry("HEARTH_STORE_JDBC_URL", "jdbc:postgresql://pg.databases.svc:5433/hearth_prod")
        .containsEntry("HEARTH_STORE_USER", "hearth_app")
        .containsEntry("HEARTH_STORE_PASSWORD", "(from secret hearth-pg/pw)");
    assertThat(chart.scheduler().getSpec().getReplicas()).isEqualTo(3);
  }

  @Test
  void theMonitoringScenarioScrapesMetricsOverMutualTlsAndShipsTheDashboard() {
    Chart chart = Chart.render("monitoring-values.yaml");
    GenericKubernetesResource monitor = chart.custom("ServiceMonitor").get(0);
    assertThat(monitor.getMetadata().getLabels()).containsEntry("release", "kube-prometheus-stack");
    Map<String, Object> endpoint = endpoint(monitor);
    assertThat(endpoint).containsEntry("port", "metrics").containsEntry("path", "/metrics")
        .containsEntry("scheme", "https").containsEntry("interval", "15s");
    @SuppressWarnings("unchecked")
    Map<String, Object> tls = (Map<String, Object>) endpoint.get("tlsConfig");
    assertThat(tls).containsEntry("serverName", "hearth.heat.svc")
        .containsEntry("keySecret", Map.of("name", "prom-operator-cert", "key", "tls.key"));
    // The ServiceMonitor selects the metrics Service, and only it.
    @SuppressWarnings("unchecked")
    Map<String, String> selector = (Map<String, String>) ((Map<String, Object>) spec(monitor).get("selector"))
        .get("matchLabels");
    assertThat(chart.all(Service.class)).filteredOn(s -> s.getMetadata().getLabels().entrySet()
        .containsAll(selector.entrySet())).extracting(s -> s.getMetadata().getName()).containsExactly("hearth-metrics");

    ConfigMap dashboard = chart.one(ConfigMap.class, "hearth-grafana-dashboard");
    assertThat(dashboard.getMetadata().getLabels()).containsEntry("grafana_dashboard", "1");
    Map<?, ?> json = Serialization.unmarshal(dashboard.getData().get("hearth.json"), Map.class);
    assertThat(json.get("title")).isEqualTo("Hearth");
    assertThat(dashboard.getData().get("hearth.json")).contains("hearth_queue_pending", "hearth_cluster_members");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> endpoint(GenericKubernetesResource monitor) {
    return ((List<Map<String, Object>>) spec(monitor).get("endpoints")).get(0);
  }

  @Test
  @SuppressWarnings("unchecked")
  void theWorkersScenarioRunsOneDataCenterAgentPerNodeWithItsOwnCertificate() {
    Chart chart = Chart.render("workers-values.yaml");
    List<Deployment> workers = chart.workers();
    assertThat(workers).extracting(d -> d.getMetadata().getName())
        .containsExactly("hearth-node-dc-paris-01", "hearth-node-dc-paris-02");
    for (Deployment d : workers) {
      assertThat(d.getSpec().getReplicas()).isEqualTo(1);
      assertThat(d.getSpec().getStrategy().getType()).isEqualTo("Recreate");
      assertThat(d.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs()).containsExactly("agent");
    }
    Map<String, String> first = env(workers.get(0));
    assertThat(first).containsEntry("HEARTH_KIND", "datacenter")
        .containsEntry("HEARTH_NODE_ID", "dc-paris-01")
        .containsEntry("HEARTH_SECURITY_CLASS", "certified")
        .containsEntry("HEARTH_CORES", "32")
        .containsEntry("HEARTH_MEMORY_MIB", "65536")
        .containsEntry("HEARTH_SCHEDULER", "hearth.heat.svc:7070")
        .containsEntry("HEARTH_TLS_DIR", "/etc/hearth/tls");
    assertThat(env(workers.get(1))).containsEntry("HEARTH_CORES", "8").containsEntry("HEARTH_SITE", "paris-2")
        .containsEntry("HEARTH_SECURITY_CLASS", "sealed");

    // The Secret's tls.crt/tls.key/ca.crt become the files the agent's --tls-dir expects.
    Volume tls = workers.get(0).getSpec().getTemplate().getSpec().getVolumes().stream()
        .filter(v -> v.getName().equals("tls")).findFirst().orElseThrow();
    assertThat(tls.getSecret().getSecretName()).isEqualTo("hearth-node-dc-paris-01-tls");
    assertThat(tls.getSecret().getItems()).extracting(i -> i.getKey() + "=" + i.getPath())
        .containsExactly("tls.crt=node-dc-paris-01.pem", "tls.key=node-dc-paris-01-key.pem", "ca.crt=ca.pem");

    // cert-manager attests each node's identity and class; the scheduler's names cover the address agents dial.
    List<GenericKubernetesResource> certificates = chart.custom("Certificate");
    assertThat(certificates).extracting(c -> c.getMetadata().getName())
        .containsExactly("hearth-scheduler", "hearth-node-dc-paris-01", "hearth-node-dc-paris-02");
    assertThat(spec(certificates.get(2)).get("uris"))
        .isEqualTo(List.of("hearth://node/dc-paris-02", "hearth://security-class/SEALED"));
    assertThat(spec(certificates.get(2)).get("secretName")).isEqualTo("hearth-node-dc-paris-02-tls");
    assertThat((List<Object>) spec(certificates.get(0)).get("dnsNames")).contains("hearth.heat.svc", "*." + HEADLESS_DNS);
    assertThat(spec(certificates.get(0))).containsEntry("secretName", "hearth-scheduler-tls");
    assertThat(spec(certificates.get(0)).get("privateKey")).isEqualTo(
        Map.of("algorithm", "ECDSA", "size", 256, "encoding", "PKCS8"));
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> spec(GenericKubernetesResource r) {
    return (Map<String, Object>) r.getAdditionalProperties().get("spec");
  }

  static Map<String, String> env(Deployment d) {
    return d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
        .collect(Collectors.toMap(EnvVar::getName, e -> e.getValue() == null ? "" : e.getValue()));
  }

  private static void checkSchedulerPod(Chart chart) {
    PodSpec pod = chart.scheduler().getSpec().getTemplate().getSpec();
    checkLockedDown(pod);
    Container c = pod.getContainers().get(0);
    assertThat(c.getResources().getRequests()).containsKeys("cpu", "memory");
    assertThat(c.getResources().getLimits()).containsKeys("cpu", "memory");
    for (Probe probe : List.of(c.getStartupProbe(), c.getReadinessProbe(), c.getLivenessProbe())) {
      assertThat(probe.getGrpc().getPort()).isEqualTo(Integer.parseInt(chart.schedulerEnv().get("HEARTH_HEALTH_PORT")));
    }
    assertThat(c.getVolumeMounts()).extracting(m -> m.getMountPath()).contains("/etc/hearth/tls", "/data", "/tmp");
    assertThat(chart.schedulerEnv()).containsEntry("HEARTH_TLS_CERT", "/etc/hearth/tls/tls.crt")
        .containsEntry("HEARTH_TLS_KEY", "/etc/hearth/tls/tls.key")
        .containsEntry("HEARTH_TLS_CA", "/etc/hearth/tls/ca.crt");
    assertThat(pod.getVolumes()).filteredOn(v -> v.getName().equals("tls")).singleElement()
        .satisfies(v -> assertThat(v.getSecret().getSecretName()).isEqualTo("hearth-scheduler-tls"));
  }

  private static void checkLockedDown(PodSpec pod) {
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isPositive();
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    for (Container c : pod.getContainers()) {
      assertThat(c.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
      assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
      assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    }
  }
}
