package io.hearth.scheduler.dashboard;

import io.hearth.api.v1.JobState;
import io.hearth.scheduler.metrics.FleetFigures;
import io.hearth.scheduler.placement.NodeKinds;
import io.hearth.scheduler.placement.NodeStates;
import io.hearth.scheduler.placement.Tiers;
import io.vertx.core.Context;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The dashboard's live stream (Server-Sent Events). Every aggregation of the fleet becomes one
 * {@code tick} event, the same bytes for every open page: the fleet summary (a few hundred bytes),
 * a new heat-history point when one is due, the sites whose color code changed since the last tick
 * and the recent failures when they changed. A page that connects first gets an {@code init} event
 * with the whole state (every site's code, the history, the failures); after that it only applies
 * changes. Nothing per node is ever sent: sites are aggregated here, nodes are fetched on demand.
 *
 * <p>A site's code packs what its grid cell shows: {@code flags * 1000 + demand * 10 + load}, where
 * demand is 0..9 (heat wanted per heater node in steps of {@value #DEMAND_STEP_WATTS} W; 10 for a
 * site without heaters), load is 0..9 (reserved / total cores in tenths) and flags are 1 (a node
 * drained) + 2 (a node lost).
 *
 * <p>Threading: {@link #update} and {@link #connect} are synchronized (the monitor's event loop and
 * the HTTP server's event loops call them); each write runs on the context of its connection.
 */
final class LiveFeed {

  static final double DEMAND_STEP_WATTS = 75;
  /** A page whose connection cannot keep up is dropped; its EventSource reconnects and gets an init. */
  private static final int MAX_QUEUED_BYTES = 1 << 20;

  private record Client(Context context, HttpServerResponse response) {}

  private final List<Client> clients = new CopyOnWriteArrayList<>();
  private final HeatHistory history = new HeatHistory();
  private final RecentEvents recent;
  private final DashboardMetrics metrics;
  private JsonObject summary = new JsonObject();
  private List<String> siteNames = List.of();
  private int[] siteCodes = new int[0];
  private long siteVersion;
  private long sentEventsVersion = -1;

  LiveFeed(RecentEvents recent, DashboardMetrics metrics) {
    this.recent = recent;
    this.metrics = metrics;
  }

  /** Registers a page's response as an event stream and sends it the whole state. */
  synchronized void connect(Context context, HttpServerResponse response) {
    response.setChunked(true)
        .putHeader("content-type", "text/event-stream; charset=utf-8")
        .putHeader("cache-control", "no-cache")
        .putHeader("x-accel-buffering", "no");
    Client c = new Client(context, response);
    clients.add(c);
    metrics.clients(clients.size());
    response.closeHandler(v -> disconnect(c));
    JsonObject init = new JsonObject()
        .put("s", summary)
        .put("h", history.toJson())
        .put("g", new JsonObject().put("v", siteVersion).put("names", new JsonArray(siteNames))
            .put("all", new JsonArray(Arrays.stream(siteCodes).boxed().toList())))
        .put("f", recent.toJson());
    write(c, event("init", init));
  }

  private void disconnect(Client c) {
    if (clients.remove(c)) {
      metrics.clients(clients.size());
    }
  }

  int clientCount() {
    return clients.size();
  }

  /** The latest summary (for {@code /api/status}). */
  synchronized JsonObject summary() {
    return summary;
  }

  /** One aggregation: computes the changes and sends them to every page. */
  synchronized void update(FleetFigures f) {
    summary = summary(f);
    JsonObject tick = new JsonObject().put("s", summary);
    long[] point = history.offer(f.atMillis(), f.heatWantedWatts(), f.heatDeliveredWatts(), f.computeDrawWatts());
    if (point != null) {
      tick.put("h", HeatHistory.point(point));
    }
    JsonObject grid = sites(f.sites());
    if (grid != null) {
      tick.put("g", grid);
    }
    long ev = recent.version();
    if (ev != sentEventsVersion) {
      sentEventsVersion = ev;
      tick.put("f", recent.toJson());
    }
    Buffer bytes = event("tick", tick);
    for (Client c : clients) {
      write(c, bytes);
    }
  }

  /** Site changes since the last tick: the new name list when the set changed, then changed codes. */
  private JsonObject sites(List<FleetFigures.Site> sites) {
    boolean sameNames = sites.size() == siteNames.size();
    for (int i = 0; sameNames && i < sites.size(); i++) {
      sameNames = sites.get(i).name().equals(siteNames.get(i));
    }
    int[] codes = new int[sites.size()];
    for (int i = 0; i < codes.length; i++) {
      codes[i] = code(sites.get(i));
    }
    JsonObject out = new JsonObject();
    if (!sameNames) {
      siteNames = sites.stream().map(FleetFigures.Site::name).toList();
      siteVersion++;
      siteCodes = codes;
      return out.put("v", siteVersion).put("names", new JsonArray(siteNames))
          .put("all", new JsonArray(Arrays.stream(codes).boxed().toList()));
    }
    JsonArray changed = new JsonArray();
    for (int i = 0; i < codes.length; i++) {
      if (codes[i] != siteCodes[i]) {
        changed.add(i).add(codes[i]);
      }
    }
    siteCodes = codes;
    return changed.isEmpty() ? null : out.put("v", siteVersion).put("c", changed);
  }

  static int code(FleetFigures.Site s) {
    int demand = s.heaters() == 0 ? 10
        : (int) Math.min(9, Math.floor(s.heatWantedWatts() / s.heaters() / DEMAND_STEP_WATTS));
    int load = s.cores() == 0 ? 0 : (int) Math.min(9, Math.floor(10.0 * s.reservedCores() / s.cores()));
    int flags = (s.drained() > 0 ? 1 : 0) + (s.lost() > 0 ? 2 : 0);
    return flags * 1000 + demand * 10 + Math.max(0, load);
  }

  static JsonObject summary(FleetFigures f) {
    JsonObject kinds = new JsonObject();
    JsonObject classes = new JsonObject();
    for (int kind = NodeKinds.RADIATOR; kind <= NodeKinds.DATACENTER; kind++) {
      JsonArray byState = new JsonArray();
      for (int state = NodeStates.READY; state <= NodeStates.LOST; state++) {
        byState.add(f.nodesOfKind(kind, state));
      }
      kinds.put(NodeKinds.name(kind), byState);
      JsonArray byClass = new JsonArray();
      for (int cls = 1; cls <= FleetFigures.CLASSES; cls++) {
        int n = 0;
        for (int state = NodeStates.READY; state <= NodeStates.LOST; state++) {
          n += f.nodes(kind, cls, state);
        }
        byClass.add(n);
      }
      classes.put(NodeKinds.name(kind), byClass);
    }
    JsonArray running = new JsonArray();
    JsonArray runningCores = new JsonArray();
    JsonArray pending = new JsonArray();
    for (int tier = Tiers.RESERVED; tier <= Tiers.DONATED; tier++) {
      running.add(f.running(tier));
      runningCores.add(f.runningCores(tier));
      pending.add(f.pending(tier));
    }
    JsonObject jobs = new JsonObject();
    for (int s = 1; s <= FleetFigures.JOB_STATES; s++) {
      jobs.put(JobState.forNumber(s).name().substring("JOB_STATE_".length()), f.jobs(s));
    }
    double useful = f.usefulHeatFraction();
    double outdoor = f.meanOutdoorC();
    return new JsonObject()
        .put("at", f.atMillis())
        .put("members", f.members())
        .put("nodes", new JsonObject().put("total", f.nodesTotal())
            .put("ready", f.nodesInState(NodeStates.READY))
            .put("draining", f.nodesInState(NodeStates.DRAINING))
            .put("lost", f.nodesInState(NodeStates.LOST)))
        .put("kinds", kinds)
        .put("classes", classes)
        .put("heat", new JsonObject()
            .put("wanted", Math.round(f.heatWantedWatts()))
            .put("delivered", Math.round(f.heatDeliveredWatts()))
            .put("heaterDraw", Math.round(f.heaterDrawWatts()))
            .put("draw", Math.round(f.computeDrawWatts()))
            .put("useful", Double.isNaN(useful) ? null : round3(useful)))
        .put("dcShare", round3(f.datacenterShare()))
        .put("reservedCores", f.reservedCores())
        .put("running", running)
        .put("runningCores", runningCores)
        .put("pending", pending)
        .put("jobs", jobs)
        .put("donatedCoreHours", round3(f.donatedCoreHours()))
        .put("season", new JsonObject().put("label", f.season()).put("ratio", round3(f.radiatorDemandRatio()))
            .put("outdoorC", Double.isNaN(outdoor) ? null : Math.round(outdoor * 10) / 10.0));
  }

  private static double round3(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  private static Buffer event(String name, JsonObject data) {
    return Buffer.buffer("event: " + name + "\ndata: " + data.encode() + "\n\n");
  }

  private void write(Client c, Buffer bytes) {
    c.context().runOnContext(v -> {
      HttpServerResponse r = c.response();
      if (r.closed() || r.ended()) {
        disconnect(c);
        return;
      }
      if (r.writeQueueFull() && bytes.length() > 0) {
        // Too slow for the stream: drop it; the page's EventSource reconnects and starts afresh.
        disconnect(c);
        r.reset();
        return;
      }
      r.write(bytes);
      metrics.sent(bytes.length());
    });
  }
}
