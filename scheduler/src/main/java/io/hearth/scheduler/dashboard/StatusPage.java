package io.hearth.scheduler.dashboard;

import com.hazelcast.aggregation.Aggregators;
import com.hazelcast.core.HazelcastInstance;
import com.hazelcast.map.IMap;
import com.hazelcast.query.Predicates;
import io.hearth.api.v1.JobState;
import io.hearth.scheduler.cluster.HazelcastConfigs;
import io.hearth.scheduler.cluster.StoredJob;
import io.hearth.scheduler.scheduling.ClusterPlacement;
import io.hearth.scheduler.scheduling.Placer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;

/**
 * The operator's first view: {@code /} is a small self-refreshing page, {@code /api/status} its
 * JSON (fleet, queue by tier, jobs by state). Counting jobs queries Hazelcast, so it runs as
 * blocking code off the event loop.
 */
public final class StatusPage {

  private static final String[] TIERS = {"RESERVED", "ON_DEMAND", "FLEX", "DONATED"};

  private final Vertx vertx;
  private final ClusterPlacement placer;
  private final IMap<String, StoredJob> jobs;

  public StatusPage(Vertx vertx, ClusterPlacement placer, HazelcastInstance hz) {
    this.vertx = vertx;
    this.placer = placer;
    this.jobs = hz.getMap(HazelcastConfigs.JOBS_MAP);
  }

  public Future<HttpServer> listen(String host, int port) {
    Router router = Router.router(vertx);
    router.get("/api/status").handler(ctx -> vertx.executeBlocking(this::status, false)
        .onSuccess(json -> ctx.response().putHeader("content-type", "application/json").end(json.encode()))
        .onFailure(ctx::fail));
    router.get("/").handler(ctx -> ctx.response().putHeader("content-type", "text/html; charset=utf-8").end(PAGE));
    return vertx.createHttpServer().requestHandler(router).listen(port, host);
  }

  private JsonObject status() {
    Placer.FleetView v = placer.view();
    JsonObject byState = new JsonObject();
    for (JobState s : JobState.values()) {
      if (s == JobState.UNRECOGNIZED || s == JobState.JOB_STATE_UNSPECIFIED) {
        continue;
      }
      Long n = jobs.aggregate(Aggregators.count(), Predicates.equal("state", s.getNumber()));
      byState.put(s.name().substring("JOB_STATE_".length()), n);
    }
    JsonObject pending = new JsonObject();
    for (int i = 0; i < TIERS.length; i++) {
      pending.put(TIERS[i], v.pendingByTier()[i]);
    }
    return new JsonObject()
        .put("at", v.at().toString())
        .put("nodes", new JsonObject().put("ready", v.readyNodes()).put("lost", v.lostNodes())
            .put("byKind", new JsonObject(new java.util.HashMap<>(v.nodesByKind()))))
        .put("heat", new JsonObject().put("demandWatts", Math.round(v.heatDemandWatts()))
            .put("computeDrawWatts", Math.round(v.computeDrawWatts())))
        .put("pendingByTier", pending)
        .put("runningAttempts", v.runningAttempts())
        .put("jobsByState", byState)
        .put("tiers", new JsonArray(java.util.List.of(TIERS)));
  }

  private static final String PAGE = """
      <!doctype html>
      <html lang="en"><head><meta charset="utf-8"><title>Hearth</title>
      <style>
        body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
        h1 { margin-bottom: 0; } .sub { color: #666; margin-top: .2rem; }
        .cards { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1.5rem 0; }
        .card { border: 1px solid #ddd; border-radius: 8px; padding: 1rem 1.4rem; min-width: 10rem; }
        .card b { display: block; font-size: 1.8rem; }
        table { border-collapse: collapse; margin-right: 2rem; } td, th { padding: .3rem .8rem; border-bottom: 1px solid #eee; text-align: left; }
        .row { display: flex; flex-wrap: wrap; }
      </style></head>
      <body>
        <h1>Hearth</h1><p class="sub">heat-aware compute scheduler &middot; updated <span id="at">-</span></p>
        <div class="cards">
          <div class="card">nodes ready<b id="ready">-</b></div>
          <div class="card">nodes lost<b id="lost">-</b></div>
          <div class="card">heat wanted (kW)<b id="demand">-</b></div>
          <div class="card">compute draw (kW)<b id="draw">-</b></div>
          <div class="card">running attempts<b id="running">-</b></div>
        </div>
        <div class="row">
          <table><thead><tr><th>node kind</th><th>count</th></tr></thead><tbody id="kinds"></tbody></table>
          <table><thead><tr><th>queued tier</th><th>jobs</th></tr></thead><tbody id="queue"></tbody></table>
          <table><thead><tr><th>job state</th><th>jobs</th></tr></thead><tbody id="states"></tbody></table>
        </div>
        <script>
          function rows(id, obj) {
            document.getElementById(id).innerHTML = Object.entries(obj)
              .map(([k, v]) => `<tr><td>${k}</td><td>${v}</td></tr>`).join('');
          }
          async function refresh() {
            try {
              const s = await (await fetch('/api/status')).json();
              document.getElementById('at').textContent = s.at;
              document.getElementById('ready').textContent = s.nodes.ready;
              document.getElementById('lost').textContent = s.nodes.lost;
              document.getElementById('demand').textContent = (s.heat.demandWatts / 1000).toFixed(1);
              document.getElementById('draw').textContent = (s.heat.computeDrawWatts / 1000).toFixed(1);
              document.getElementById('running').textContent = s.runningAttempts;
              rows('kinds', s.nodes.byKind); rows('queue', s.pendingByTier); rows('states', s.jobsByState);
            } catch (e) { document.getElementById('at').textContent = 'unreachable'; }
          }
          refresh(); setInterval(refresh, 2000);
        </script>
      </body></html>
      """;
}
