package io.hearth.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.hearth.scheduler.config.SchedulerOptions;
import io.hearth.scheduler.config.SchedulerOptions.Setting;
import io.hearth.worker.WorkerMain;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The chart against the rest of the project: the settings it sets are the scheduler's
 * ({@link SchedulerOptions#settings()}), every setting is reachable through values, the agents'
 * variables are WorkerMain's flags, the images are the ones the Dockerfiles build, tagged with the
 * project version, and every value is documented.
 */
class ChartContractTest {

  /** Settings the chart sets itself (not under scheduler.config), and from which values. */
  static final Map<String, String> DERIVED = Map.of(
      "cluster.host", "the pod's IP (downward API)",
      "cluster.kubernetes-service-dns", "the headless Service",
      "cluster.expected-members", "scheduler.replicas",
      "tls.cert", "tls.schedulerSecret (tls.crt)",
      "tls.key", "tls.schedulerSecret (tls.key)",
      "tls.ca", "tls.schedulerSecret (ca.crt)",
      "store.type", "postgresql.enabled",
      "store.jdbc-url", "postgresql.host, port, database or jdbcUrl",
      "store.user", "postgresql.user",
      "store.password", "postgresql.existingSecret / passwordKey");
  /** Replaced in Kubernetes: members find each other through the headless Service instead. */
  static final Set<String> REPLACED = Set.of("cluster.members");
  /** Defaults the chart changes for pods: bind every interface, keep state on /data, probes on. */
  static final Set<String> KUBERNETES_DEFAULTS = Set.of("grpc.host", "http.host", "health.port", "store.data-dir",
      "audit.file");

  static Map<String, Setting> settings() {
    Map<String, Setting> byKey = new LinkedHashMap<>();
    SchedulerOptions.settings().forEach(s -> byKey.put(s.key(), s));
    return byKey;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> valuesConfig() throws IOException {
    Map<String, Object> values = Serialization.unmarshal(Files.readString(Chart.DIR.resolve("values.yaml")), Map.class);
    return (Map<String, Object>) ((Map<String, Object>) values.get("scheduler")).get("config");
  }

  @Test
  void everyHearthVariableTheChartSetsIsASchedulerSetting() {
    Set<String> known = settings().values().stream().map(Setting::env).collect(Collectors.toSet());
    List<String> scenarios = new ArrayList<>(Chart.scenarios());
    scenarios.add(null);
    Set<String> set = new TreeSet<>();
    for (String scenario : scenarios) {
      Chart.render(scenario).schedulerEnv().keySet().stream().filter(k -> k.startsWith("HEARTH_")).forEach(set::add);
    }
    assertThat(set).isSubsetOf(known);
    // ... and together the scenarios set every setting but the member list, which DNS replaces.
    Set<String> expected = new TreeSet<>(known);
    REPLACED.forEach(k -> expected.remove(settings().get(k).env()));
    assertThat(set).isEqualTo(expected);
  }

  @Test
  void everySettingIsReachableThroughValuesExactlyOnce() throws IOException {
    Set<String> configKeys = valuesConfig().keySet();
    assertThat(configKeys).doesNotContainAnyElementsOf(DERIVED.keySet()).doesNotContainAnyElementsOf(REPLACED);
    Set<String> covered = new HashSet<>(configKeys);
    covered.addAll(DERIVED.keySet());
    covered.addAll(REPLACED);
    assertThat(covered).containsExactlyInAnyOrderElementsOf(settings().keySet());
  }

  @Test
  @SuppressWarnings("unchecked")
  void theSchemaListsExactlyTheConfigKeysOfTheValues() throws IOException {
    Map<String, Object> schema = Serialization.unmarshal(Files.readString(Chart.DIR.resolve("values.schema.json")), Map.class);
    Map<String, Object> config = (Map<String, Object>) at(schema, "properties", "scheduler", "properties", "config");
    assertThat(config.get("additionalProperties")).isEqualTo(false);
    assertThat(((Map<String, Object>) config.get("properties")).keySet())
        .containsExactlyInAnyOrderElementsOf(valuesConfig().keySet());
  }

  @Test
  void theValuesKeepTheSchedulerDefaultsButWhereKubernetesNeedsOthers() throws IOException {
    Map<String, Setting> settings = settings();
    for (Map.Entry<String, Object> e : valuesConfig().entrySet()) {
      String value = String.valueOf(e.getValue());
      String dflt = settings.get(e.getKey()).defaultValue();
      if (KUBERNETES_DEFAULTS.contains(e.getKey())) {
        assertThat(sameValue(value, dflt)).as("%s: %s is the scheduler's default", e.getKey(), value).isFalse();
      } else {
        assertThat(sameValue(value, dflt)).as("%s: %s (scheduler default: %s)", e.getKey(), value, dflt).isTrue();
      }
    }
  }

  /** Numbers compare by value (1.0 = 1), anything else by its text. */
  private static boolean sameValue(String a, String b) {
    try {
      return Double.parseDouble(a) == Double.parseDouble(b);
    } catch (NumberFormatException e) {
      return a.equals(b);
    }
  }

  @Test
  void theSchedulerAcceptsTheRenderedSettings() {
    Map<String, String> env = new LinkedHashMap<>(Chart.render(null).schedulerEnv());
    env.put("HEARTH_CLUSTER_HOST", "10.1.2.3");
    SchedulerOptions options = SchedulerOptions.load(null, env);
    assertThat(options.kubernetesServiceDns()).isEqualTo(ChartRenderTest.HEADLESS_DNS);
    assertThat(options.healthPort()).isEqualTo(7071);
    assertThat(options.expectedMembers()).isEqualTo(3);
    assertThat(options.clusterMembers()).isEmpty();
  }

  @Test
  void everyAgentVariableIsAWorkerFlag() throws ReflectiveOperationException {
    var field = WorkerMain.class.getDeclaredField("AGENT_FLAGS");
    field.setAccessible(true);
    @SuppressWarnings("unchecked")
    Set<String> flags = (Set<String>) field.get(null);
    Set<String> envs = flags.stream()
        .map(f -> "HEARTH_" + f.substring(2).replace('-', '_').toUpperCase(Locale.ROOT)).collect(Collectors.toSet());
    Deployment worker = Chart.render("workers-values.yaml").workers().get(0);
    Set<String> set = ChartRenderTest.env(worker).keySet().stream().filter(k -> k.startsWith("HEARTH_"))
        .collect(Collectors.toSet());
    assertThat(set).isNotEmpty().isSubsetOf(envs);
  }

  @Test
  void theImagesAreTheOnesTheDockerfilesBuildTaggedWithTheProjectVersion() throws IOException {
    String chartYaml = Files.readString(Chart.DIR.resolve("Chart.yaml"));
    assertThat(chartYaml).contains("appVersion: \"" + Chart.VERSION + "\"");
    Chart chart = Chart.render("workers-values.yaml");
    assertThat(chart.schedulerContainer().getImage()).isEqualTo(Chart.SCHEDULER_IMAGE + ":" + Chart.VERSION);
    assertThat(chart.workers().get(0).getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
        .isEqualTo(Chart.WORKER_IMAGE + ":" + Chart.VERSION);
    assertThat(Files.readString(Chart.ROOT.resolve("scheduler/Dockerfile"))).contains("-t " + Chart.SCHEDULER_IMAGE + ":VERSION ");
    assertThat(Files.readString(Chart.ROOT.resolve("worker/Dockerfile"))).contains("-t " + Chart.WORKER_IMAGE + ":VERSION ");

    Chart pushed = Chart.render(null, Map.of("image.registry", "registry.example.org/heat/", "scheduler.image.tag", "2026.1-rc",
        "image.pullSecrets[0]", "regcred"));
    assertThat(pushed.schedulerContainer().getImage())
        .isEqualTo("registry.example.org/heat/" + Chart.SCHEDULER_IMAGE + ":2026.1-rc");
    assertThat(pushed.scheduler().getSpec().getTemplate().getSpec().getImagePullSecrets())
        .extracting(r -> r.getName()).containsExactly("regcred");
  }

  /** A leaf value is documented when it, or a mapping it belongs to, has a comment right above. */
  @Test
  void everyValueIsCommented() throws IOException {
    List<String> undocumented = new ArrayList<>();
    List<String> lines = Files.readAllLines(Chart.DIR.resolve("values.yaml"));
    Pattern key = Pattern.compile("^(\\s*)([A-Za-z0-9_.-]+):(.*)$");
    List<int[]> documentedParents = new ArrayList<>(); // {indent, documented}
    for (int i = 0; i < lines.size(); i++) {
      Matcher m = key.matcher(lines.get(i));
      if (!m.matches()) {
        continue;
      }
      int indent = m.group(1).length();
      documentedParents.removeIf(p -> p[0] >= indent);
      boolean commented = i > 0 && lines.get(i - 1).trim().startsWith("#");
      boolean parentDocumented = documentedParents.stream().anyMatch(p -> p[1] == 1);
      boolean leaf = !m.group(3).isBlank();
      if (leaf && !commented && !parentDocumented) {
        undocumented.add((i + 1) + ": " + lines.get(i).trim());
      }
      if (!leaf) {
        documentedParents.add(new int[] {indent, commented || parentDocumented ? 1 : 0});
      }
    }
    assertThat(undocumented).as("values without a comment").isEmpty();
  }

  @SuppressWarnings("unchecked")
  private static Object at(Map<String, Object> map, String... path) {
    Object o = map;
    for (String p : path) {
      o = ((Map<String, Object>) o).get(p);
    }
    return o;
  }
}
