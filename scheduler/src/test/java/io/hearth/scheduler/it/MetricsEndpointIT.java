package io.hearth.scheduler.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.hearth.api.v1.Job;
import io.hearth.api.v1.JobState;
import io.hearth.api.v1.SecurityClass;
import io.hearth.api.v1.SubmitJobRequest;
import io.hearth.api.v1.Tier;
import io.hearth.worker.agent.NodeAgent;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scrapes {@code /metrics} of a real scheduler with real agents running real jobs and checks that
 * every metric the operators' issue names is there, with values that follow the fleet, and that
 * every tag has a bounded value: never a node id or a job id.
 */
class MetricsEndpointIT {

  /** One sample line: name, optional labels, value. */
  private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)$");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");
  /** Distinct values any one tag may take here (histogram buckets aside). */
  private static final int MAX_TAG_VALUES = 40;

  @TempDir Path work;

  private record Sample(String name, Map<String, String> labels, double value) {}

  @Test
  void everyOperatorMetricIsExposedWithBoundedTagsOnly() throws Exception {
    try (TestScheduler hearth = TestScheduler.start(TestScheduler.options()
        .dashboardRefreshInterval(Duration.ofMillis(300)).build())) {
      List<NodeAgent> agents = new ArrayList<>();
      try {
        agents.add(Agents.radiator(hearth, "rad-a", work, 5, 40, SecurityClass.SECURITY_CLASS_SEALED));
        agents.add(Agents.radiator(hearth, "rad-b", work, 5, 40, SecurityClass.SECURITY_CLASS_SEALED));
        agents.add(Agents.datacenter(hearth, "dc-a", work, 8, "fr-paris"));
        await().atMost(Duration.ofSeconds(20)).until(() -> hearth.scheduler.placer().view().readyNodes() == 3);

        Set<String> jobIds = new HashSet<>();
        for (int i = 0; i < 3; i++) {
          jobIds.add(submit(hearth, "tenant/acme", TestScheduler.spec("paid-" + i, "sleep", "20")));
        }
        jobIds.add(submit(hearth, "tenant/acme", TestScheduler.spec("fails", "false").setMaxAttempts(1)));
        jobIds.add(submit(hearth, "nonprofit/open-renders", TestScheduler.spec("donated", "sleep", "20")
            .setTier(Tier.TIER_DONATED).setGrantId(hearth.grant("open-renders", 10))));

        // The fleet figures follow: work runs, radiators deliver heat, donated core-hours grow.
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
          Map<String, List<Sample>> m = scrape(hearth);
          assertThat(value(m, "hearth_jobs", Map.of("state", "RUNNING"))).isEqualTo(4);
          assertThat(value(m, "hearth_jobs", Map.of("state", "FAILED"))).isEqualTo(1);
          assertThat(value(m, "hearth_heat_delivered_watts", Map.of())).isPositive();
          assertThat(value(m, "hearth_donated_core_hours_total", Map.of())).isPositive();
        });

        Map<String, List<Sample>> m = scrape(hearth);
        List<String> required = List.of(
            // placement latency and outcomes
            "hearth_placement_duration_seconds_count", "hearth_placement_duration_seconds_bucket",
            "hearth_placement_wait_seconds_count",
            // queue depth by tier, jobs by state, nodes by kind/state/class
            "hearth_queue_pending", "hearth_attempts_running", "hearth_jobs", "hearth_nodes",
            // heat wanted vs delivered, fleet-wide and by site; useful fraction; data-center share
            "hearth_heat_wanted_watts", "hearth_heat_delivered_watts", "hearth_site_heat_wanted_watts",
            "hearth_site_heat_delivered_watts", "hearth_heat_useful_fraction", "hearth_datacenter_share",
            "hearth_compute_draw_watts",
            // donated core-hours, preemptions
            "hearth_donated_core_hours_total", "hearth_preemptions_total",
            // Vert.x, Hazelcast, JVM
            "vertx_http_server_requests_total", "vertx_eventbus_handlers", "vertx_pool_in_use",
            "cache_size", "cache_gets_total", "cache_puts_total", "hearth_cluster_members",
            "jvm_memory_used_bytes", "jvm_gc_pause_seconds_count", "jvm_threads_live_threads", "process_cpu_usage");
        assertThat(m.keySet()).containsAll(required);

        // The Grafana dashboard charts the same names.
        String grafana;
        try (var in = MetricsEndpointIT.class.getResourceAsStream("/grafana/hearth-dashboard.json")) {
          grafana = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        Matcher used = Pattern.compile("\\b((?:hearth|jvm|vertx|cache|process|system)_[a-z0-9_]+)").matcher(grafana);
        Set<String> charted = new HashSet<>();
        while (used.find()) {
          charted.add(used.group(1));
        }
        assertThat(charted).hasSizeGreaterThan(20);
        assertThat(m.keySet()).as("metrics the Grafana dashboard charts").containsAll(charted);

        assertThat(labelValues(m, "hearth_queue_pending", "tier")).containsExactlyInAnyOrder(
            "RESERVED", "ON_DEMAND", "FLEX", "DONATED");
        assertThat(labelValues(m, "hearth_nodes", "kind")).containsExactlyInAnyOrder("RADIATOR", "BOILER", "DATACENTER");
        assertThat(labelValues(m, "hearth_nodes", "state")).containsExactlyInAnyOrder("READY", "DRAINING", "LOST");
        assertThat(labelValues(m, "hearth_placement_duration_seconds_count", "outcome")).contains("placed", "no_fit");
        assertThat(labelValues(m, "cache_size", "cache")).contains("hearth.jobs");
        assertThat(value(m, "hearth_nodes", Map.of("kind", "RADIATOR", "class", "SEALED", "state", "READY"))).isEqualTo(2);
        assertThat(value(m, "hearth_nodes", Map.of("kind", "DATACENTER", "class", "CERTIFIED", "state", "READY"))).isEqualTo(1);
        assertThat(value(m, "hearth_placement_duration_seconds_count", Map.of("tier", "ON_DEMAND", "outcome", "placed")))
            .isGreaterThanOrEqualTo(4);
        assertThat(value(m, "hearth_site_heat_wanted_watts", Map.of("site", "(none)"))).isPositive();
        double useful = value(m, "hearth_heat_useful_fraction", Map.of());
        assertThat(useful).isBetween(0.0, 1.0);

        // Bounded tags: no value is a node or job id, and no tag takes more than a few values.
        Set<String> nodeIds = Set.of("rad-a", "rad-b", "dc-a");
        Map<String, Set<String>> valuesByTag = new HashMap<>();
        for (List<Sample> samples : m.values()) {
          for (Sample s : samples) {
            s.labels().forEach((tag, v) -> {
              assertThat(nodeIds).as("tag %s of %s", tag, s.name()).doesNotContain(v);
              assertThat(v).as("tag %s of %s", tag, s.name()).doesNotMatch(".*job-[0-9a-f]{16}.*");
              assertThat(jobIds).as("tag %s of %s", tag, s.name()).doesNotContain(v);
              if (!tag.equals("le")) {
                valuesByTag.computeIfAbsent(s.name() + "/" + tag, k -> new HashSet<>()).add(v);
              }
            });
          }
        }
        valuesByTag.forEach((tag, values) -> assertThat(values).as(tag).hasSizeLessThanOrEqualTo(MAX_TAG_VALUES));
      } finally {
        agents.forEach(NodeAgent::close);
      }
    }
  }

  private static String submit(TestScheduler hearth, String identity, io.hearth.api.v1.JobSpec.Builder spec) {
    Job job = hearth.jobs(identity).submitJob(SubmitJobRequest.newBuilder().setSpec(spec).build()).getJob();
    assertThat(job.getState()).isEqualTo(JobState.JOB_STATE_QUEUED);
    return job.getJobId();
  }

  private static Map<String, List<Sample>> scrape(TestScheduler hearth) throws Exception {
    HttpResponse<String> r = TestScheduler.https("operator/ops").send(HttpRequest.newBuilder(
        URI.create(hearth.dashboard("/metrics"))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    Map<String, List<Sample>> out = new HashMap<>();
    for (String line : r.body().split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher sm = SAMPLE.matcher(line);
      assertThat(sm.matches()).as("sample line %s", line).isTrue();
      Map<String, String> labels = new HashMap<>();
      if (sm.group(3) != null) {
        Matcher lm = LABEL.matcher(sm.group(3));
        while (lm.find()) {
          labels.put(lm.group(1), lm.group(2));
        }
      }
      out.computeIfAbsent(sm.group(1), k -> new ArrayList<>()).add(new Sample(sm.group(1), labels,
          Double.parseDouble(sm.group(4))));
    }
    return out;
  }

  /** The one sample of {@code name} whose labels include {@code labels}. */
  private static double value(Map<String, List<Sample>> m, String name, Map<String, String> labels) {
    List<Sample> matching = m.getOrDefault(name, List.of()).stream()
        .filter(s -> s.labels().entrySet().containsAll(labels.entrySet())).toList();
    assertThat(matching).as("%s %s", name, labels).hasSize(1);
    return matching.get(0).value();
  }

  private static Set<String> labelValues(Map<String, List<Sample>> m, String name, String label) {
    Set<String> out = new HashSet<>();
    m.getOrDefault(name, List.of()).forEach(s -> {
      if (s.labels().containsKey(label)) {
        out.add(s.labels().get(label));
      }
    });
    return out;
  }
}
