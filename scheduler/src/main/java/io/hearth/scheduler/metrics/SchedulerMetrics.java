package io.hearth.scheduler.metrics;

import com.hazelcast.core.HazelcastInstance;
import io.hearth.scheduler.cluster.HazelcastConfigs;
import io.hearth.scheduler.placement.NodeKinds;
import io.hearth.scheduler.placement.NodeStates;
import io.hearth.scheduler.placement.SecurityClasses;
import io.hearth.scheduler.placement.Tiers;
import io.hearth.scheduler.scheduling.PlacementListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.cache.HazelcastCacheMetrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.hearth.api.v1.JobState;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Every metric of a scheduler member, created once here and exposed in the Prometheus format on
 * the dashboard's {@code /metrics}. Names are dotted and lower-case ({@code hearth.placement.duration}
 * becomes {@code hearth_placement_duration_seconds}); tags take bounded values only: tier, outcome,
 * job state, node kind, class and state, and site, capped at {@link #MAX_SITE_SERIES} distinct
 * sites (later ones are summed under {@code site="other"}). Never a job or node id.
 *
 * <p>Fleet gauges read the {@link FleetMonitor}'s last aggregation; placement timers are recorded
 * on the placer thread ({@link PlacementListener}); JVM, Vert.x (through vertx-micrometer-metrics
 * on the same registry) and Hazelcast map statistics are bound here too. Thread-safe.
 */
public final class SchedulerMetrics implements PlacementListener {

  /** Sites that get their own series; bounded so a growing fleet cannot grow the scrape without end. */
  public static final int MAX_SITE_SERIES = 1000;
  static final String OTHER_SITE = "other";

  private static final Duration[] DECISION_BUCKETS = {Duration.ofNanos(10_000), Duration.ofNanos(50_000),
      Duration.ofNanos(100_000), Duration.ofNanos(500_000), Duration.ofMillis(1), Duration.ofMillis(5),
      Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(500)};
  private static final Duration[] WAIT_BUCKETS = {Duration.ofMillis(10), Duration.ofMillis(100),
      Duration.ofSeconds(1), Duration.ofSeconds(10), Duration.ofMinutes(1), Duration.ofMinutes(10),
      Duration.ofHours(1), Duration.ofHours(6), Duration.ofDays(1)};

  private final PrometheusMeterRegistry registry;
  private volatile Supplier<FleetFigures> figures = () -> FleetFigures.EMPTY;
  /** [tier][outcome ordinal]. */
  private final Timer[][] decisions = new Timer[FleetFigures.TIERS + 1][Outcome.values().length];
  private final Timer[] waits = new Timer[FleetFigures.TIERS + 1];
  private final Counter[] preemptions = new Counter[FleetFigures.TIERS + 1];
  private final Counter jobsDeleted;
  private final MultiGauge siteWanted;
  private final MultiGauge siteDelivered;
  private final MultiGauge siteDraw;
  private final Map<String, String> siteSeries = new HashMap<>();
  /** Per site series: wanted, delivered, draw (W); sites stay once seen, at 0 W when gone. */
  private final Map<String, double[]> siteValues = new HashMap<>();
  private int registeredSites;

  public SchedulerMetrics() {
    registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);

    for (int tier = Tiers.RESERVED; tier <= Tiers.DONATED; tier++) {
      String t = Tiers.name(tier);
      for (Outcome o : Outcome.values()) {
        decisions[tier][o.ordinal()] = Timer.builder("hearth.placement.duration")
            .description("Time to decide where one queued job goes and bind it (placer thread)")
            .tags("tier", t, "outcome", o.name().toLowerCase(java.util.Locale.ROOT))
            .serviceLevelObjectives(DECISION_BUCKETS)
            .register(registry);
      }
      waits[tier] = Timer.builder("hearth.placement.wait")
          .description("Time from submission to assignment of a job, over all its attempts")
          .tags("tier", t)
          .serviceLevelObjectives(WAIT_BUCKETS)
          .register(registry);
      preemptions[tier] = Counter.builder("hearth.preemptions")
          .description("Attempts preempted, by the tier of the preempted job")
          .tags("tier", t)
          .register(registry);
      int tierNo = tier;
      fleetGauge("hearth.queue.pending", "Jobs queued, by tier", Tags.of("tier", t), null, f -> f.pending(tierNo));
      fleetGauge("hearth.attempts.running", "Attempts assigned and not ended, by tier", Tags.of("tier", t), null,
          f -> f.running(tierNo));
    }
    jobsDeleted = Counter.builder("hearth.jobs.deleted")
        .description("Ended jobs deleted by the retention sweep (jobs.retention-seconds after they ended)")
        .register(registry);
    for (JobState s : JobState.values()) {
      if (s == JobState.UNRECOGNIZED || s == JobState.JOB_STATE_UNSPECIFIED) {
        continue;
      }
      int n = s.getNumber();
      fleetGauge("hearth.jobs", "Jobs in the cluster state, by state",
          Tags.of("state", s.name().substring("JOB_STATE_".length())), null, f -> f.jobs(n));
    }
    for (int kind = NodeKinds.RADIATOR; kind <= NodeKinds.DATACENTER; kind++) {
      for (int cls = SecurityClasses.OPEN; cls <= SecurityClasses.CERTIFIED; cls++) {
        for (int state = NodeStates.READY; state <= NodeStates.LOST; state++) {
          int k = kind;
          int c = cls;
          int st = state;
          fleetGauge("hearth.nodes", "Nodes known to the placer, by kind, security class and state",
              Tags.of("kind", NodeKinds.name(kind), "class", SecurityClasses.name(cls), "state", NodeStates.name(state)),
              null, f -> f.nodes(k, c, st));
        }
      }
      int k = kind;
      fleetGauge("hearth.compute.draw", "Compute draw of connected nodes, by kind", Tags.of("kind", NodeKinds.name(kind)),
          "watts", f -> f.computeDrawWatts(k));
    }
    fleetGauge("hearth.heat.wanted", "Heat the rooms and tanks of connected heaters want, fleet-wide", Tags.empty(),
        "watts", FleetFigures::heatWantedWatts);
    fleetGauge("hearth.heat.delivered", "Compute heat that went where heat was wanted, fleet-wide", Tags.empty(),
        "watts", FleetFigures::heatDeliveredWatts);
    fleetGauge("hearth.heat.useful.fraction", "Heat delivered / compute draw of heater nodes (NaN when they draw nothing)",
        Tags.empty(), null, FleetFigures::usefulHeatFraction);
    fleetGauge("hearth.datacenter.share", "Cores reserved on data-center nodes / all reserved cores", Tags.empty(), null,
        FleetFigures::datacenterShare);
    fleetGauge("hearth.heat.radiator.demand.ratio", "Radiator demand / radiator full-load power: the season as data",
        Tags.empty(), null, FleetFigures::radiatorDemandRatio);
    fleetGauge("hearth.cluster.members", "Scheduler members in the Hazelcast cluster", Tags.empty(), null,
        FleetFigures::members);
    FunctionCounter.builder("hearth.donated.core.hours", this, m -> m.figures.get().donatedCoreHours())
        .description("Cores x hours of DONATED-tier attempts since this member started placing")
        .register(registry);

    siteWanted = MultiGauge.builder("hearth.site.heat.wanted").description("Heat wanted, by site")
        .baseUnit("watts").register(registry);
    siteDelivered = MultiGauge.builder("hearth.site.heat.delivered").description("Heat delivered, by site")
        .baseUnit("watts").register(registry);
    siteDraw = MultiGauge.builder("hearth.site.compute.draw").description("Compute draw, by site")
        .baseUnit("watts").register(registry);
  }

  private void fleetGauge(String name, String description, Tags tags, String unit, ToDoubleFunction<FleetFigures> f) {
    Gauge.builder(name, this, m -> f.applyAsDouble(m.figures.get()))
        .description(description).tags(tags).baseUnit(unit).register(registry);
  }

  public MeterRegistry registry() {
    return registry;
  }

  /** The Prometheus text format of every meter. */
  public String scrape() {
    return registry.scrape();
  }

  /** Reads the fleet gauges from the monitor and keeps the per-site series current with it. */
  public void watch(FleetMonitor monitor) {
    figures = monitor::latest;
    monitor.onUpdate(this::updateSites);
  }

  /** Binds Hazelcast statistics: the cluster state maps' local stats (size, gets, puts) per map name. */
  public void bindCluster(HazelcastInstance hz) {
    for (String map : List.of(HazelcastConfigs.JOBS_MAP, HazelcastConfigs.REQUESTS_MAP, HazelcastConfigs.NONPROFITS_MAP)) {
      HazelcastCacheMetrics.monitor(registry, hz.getMap(map));
    }
  }

  /** Counts ended jobs the retention sweep deleted. */
  public void jobsDeleted(int n) {
    jobsDeleted.increment(n);
  }

  /** Counts an attempt the placer preempted. */
  @Override
  public void preempted(int tier) {
    if (FleetFigures.isTier(tier)) {
      preemptions[tier].increment();
    }
  }

  @Override
  public void decided(int tier, Outcome outcome, long nanos) {
    if (FleetFigures.isTier(tier)) {
      decisions[tier][outcome.ordinal()].record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void assigned(int tier, Duration waited) {
    if (FleetFigures.isTier(tier)) {
      waits[tier].record(waited.isNegative() ? Duration.ZERO : waited);
    }
  }

  /**
   * Sites get a series in first-seen order up to the cap; the rest add up under "other". Each series
   * reads a holder that lives as long as the series, so rows are only added or removed here, never
   * replaced (replacing a gauge while Prometheus scrapes can expose it twice).
   */
  private synchronized void updateSites(FleetFigures f) {
    Map<String, double[]> sums = new HashMap<>();
    for (FleetFigures.Site s : f.sites()) {
      String series = siteSeries.computeIfAbsent(s.name(),
          name -> siteSeries.size() < MAX_SITE_SERIES ? name : OTHER_SITE);
      double[] v = sums.computeIfAbsent(series, k -> new double[3]);
      v[0] += s.heatWantedWatts();
      v[1] += s.heatDeliveredWatts();
      v[2] += s.computeDrawWatts();
    }
    // Sums first, then one copy per series, so a scrape never reads a half-added site.
    sums.forEach((series, v) -> siteValues.computeIfAbsent(series, k -> new double[3]));
    siteValues.forEach((series, holder) -> System.arraycopy(sums.getOrDefault(series, new double[3]), 0, holder, 0, 3));
    if (siteValues.size() != registeredSites) {
      registeredSites = siteValues.size();
      siteWanted.register(rows(0), false);
      siteDelivered.register(rows(1), false);
      siteDraw.register(rows(2), false);
    }
  }

  private List<MultiGauge.Row<?>> rows(int column) {
    List<MultiGauge.Row<?>> rows = new ArrayList<>(siteValues.size());
    siteValues.forEach((site, v) -> rows.add(MultiGauge.Row.of(Tags.of("site", site), v, holder -> holder[column])));
    return rows;
  }

  /** Commits of the durable store and the rows they wrote (rows / commits = the batch size; 1 for the journal). */
  public void watchStore(io.hearth.scheduler.cluster.DurableStore store) {
    FunctionCounter.builder("hearth.store.commits", store, d -> d.commitsAndRows()[0])
        .description("Commits of the durable store (a database transaction, or a journal append)").register(registry);
    FunctionCounter.builder("hearth.store.rows", store, d -> d.commitsAndRows()[1])
        .description("Rows written (upserted or deleted) to the durable store").register(registry);
  }
}
