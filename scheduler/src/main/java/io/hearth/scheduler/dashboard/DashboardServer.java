package io.hearth.scheduler.dashboard;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.hearth.scheduler.api.AdminServiceImpl;
import io.hearth.scheduler.api.HearthException;
import io.hearth.scheduler.api.Identity;
import io.hearth.scheduler.cluster.JobStore;
import io.hearth.scheduler.cluster.NonprofitStore;
import io.hearth.scheduler.metrics.FleetFigures;
import io.hearth.scheduler.metrics.FleetMonitor;
import io.hearth.scheduler.metrics.SchedulerMetrics;
import io.hearth.scheduler.placement.Tiers;
import io.hearth.scheduler.scheduling.FleetSnapshot;
import io.hearth.scheduler.scheduling.JobEvents;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.handler.StaticHandler;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The operators' web view and the Prometheus endpoint, on one Vert.x HTTP server:
 * <ul>
 *   <li>{@code /} the dashboard (static files under {@code dashboard/} on the classpath; no network
 *       fetches), fed by {@code /api/stream} (Server-Sent Events, see {@link LiveFeed});</li>
 *   <li>{@code /api/status} the current summary; {@code /api/sites/{site}}, {@code /api/nodes/{id}},
 *       {@code /api/jobs/{id}}, {@code /api/nonprofits}: drill-downs fetched on demand;</li>
 *   <li>{@code POST /api/nodes/{id}/drain|undrain}, {@code POST /api/nonprofits}: operator actions
 *       (see {@link OperatorAccess}), the same operations as {@code AdminService};</li>
 *   <li>{@code /metrics}: every meter in the Prometheus text format.</li>
 * </ul>
 * Handlers never block an event loop: the fleet comes from the monitor's last aggregation, and
 * Hazelcast reads and writes run in {@code executeBlocking}.
 */
public final class DashboardServer {

  private static final Logger LOG = LoggerFactory.getLogger(DashboardServer.class);
  private static final String JSON = "application/json";

  private final Vertx vertx;
  private final FleetMonitor monitor;
  private final SchedulerMetrics metrics;
  private final AdminServiceImpl admin;
  private final JobStore jobs;
  private final NonprofitStore nonprofits;
  private final OperatorAccess access;
  private final io.hearth.scheduler.config.SchedulerOptions options;
  private final RecentEvents recent = new RecentEvents();
  private final LiveFeed feed;

  public DashboardServer(Vertx vertx, FleetMonitor monitor, SchedulerMetrics metrics, AdminServiceImpl admin,
      JobStore jobs, NonprofitStore nonprofits, io.hearth.scheduler.config.SchedulerOptions options,
      io.hearth.scheduler.api.CertificateIdentities identities) {
    this.vertx = vertx;
    this.options = options;
    this.access = new OperatorAccess(identities);
    this.monitor = monitor;
    this.metrics = metrics;
    this.admin = admin;
    this.jobs = jobs;
    this.nonprofits = nonprofits;
    this.feed = new LiveFeed(recent, new DashboardMetrics(metrics.registry()));
  }

  public Future<HttpServer> listen(String host, int port) {
    vertx.eventBus().<Buffer>consumer(JobEvents.ADDRESS, m -> JobEvents.decode(m.body(), null, true).forEach(recent::offer));
    monitor.onUpdate(feed::update);

    Router router = Router.router(vertx);
    // Every route, /metrics included, needs an operator's client certificate.
    router.route().handler(ctx -> {
      try {
        access.operator(ctx.request());
        ctx.next();
      } catch (HearthException e) {
        fail(ctx, e);
      }
    });
    router.get("/metrics").handler(ctx -> vertx.executeBlocking(metrics::scrape, false)
        .onSuccess(text -> ctx.response().putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(text))
        .onFailure(ctx::fail));
    router.get("/api/stream").handler(ctx -> feed.connect(vertx.getOrCreateContext(), ctx.response()));
    router.get("/api/status").handler(ctx -> json(ctx, feed.summary()));
    router.get("/api/sites/:site").handler(this::site);
    router.get("/api/nodes/:id").handler(this::node);
    router.get("/api/jobs/:id").handler(this::job);
    router.get("/api/nonprofits").handler(ctx -> vertx.executeBlocking(nonprofits::list, false)
        .onSuccess(list -> {
          JsonArray out = new JsonArray();
          list.forEach(n -> out.add(proto(n)));
          json(ctx, new JsonObject().put("nonprofits", out));
        })
        .onFailure(e -> fail(ctx, e)));
    router.post().handler(BodyHandler.create().setBodyLimit(4096));
    router.post("/api/nodes/:id/drain").handler(ctx -> drain(ctx, true));
    router.post("/api/nodes/:id/undrain").handler(ctx -> drain(ctx, false));
    router.post("/api/nonprofits").handler(this::approve);
    router.route().handler(StaticHandler.create("dashboard").setCachingEnabled(false).setIndexPage("index.html"));
    io.vertx.core.http.HttpServerOptions tls = new io.vertx.core.http.HttpServerOptions()
        .setSsl(true)
        .setKeyCertOptions(new io.vertx.core.net.PemKeyCertOptions().setCertPath(options.tlsCert()).setKeyPath(options.tlsKey()))
        .setTrustOptions(new io.vertx.core.net.PemTrustOptions().addCertPath(options.tlsCa()))
        .setClientAuth(io.vertx.core.http.ClientAuth.REQUEST);
    return vertx.createHttpServer(tls).requestHandler(router).listen(port, host);
  }

  private void site(RoutingContext ctx) {
    String site = ctx.pathParam("site");
    FleetFigures f = monitor.latest();
    FleetFigures.Site summary = null;
    for (FleetFigures.Site s : f.sites()) {
      if (s.name().equals(site)) {
        summary = s;
        break;
      }
    }
    if (summary == null) {
      fail(ctx, HearthException.notFound("site " + site + " not found"));
      return;
    }
    JsonArray nodes = new JsonArray();
    for (FleetSnapshot.Node n : f.snapshot().nodes()) {
      if (FleetFigures.siteOf(n).equals(site)) {
        nodes.add(proto(AdminServiceImpl.toInfo(n)));
      }
    }
    json(ctx, new JsonObject().put("site", site(summary)).put("nodes", nodes));
  }

  private void node(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    FleetFigures f = monitor.latest();
    for (FleetSnapshot.Node n : f.snapshot().nodes()) {
      if (n.nodeId().equals(id)) {
        JsonArray attempts = new JsonArray();
        for (FleetSnapshot.Attempt a : f.snapshot().attempts()) {
          if (a.nodeId().equals(id)) {
            attempts.add(new JsonObject().put("jobId", a.jobId()).put("tier", Tiers.name(a.tier()))
                .put("cores", a.cores()).put("assignedAt", a.assignedAtMillis()));
          }
        }
        json(ctx, new JsonObject().put("node", proto(AdminServiceImpl.toInfo(n))).put("attempts", attempts)
            .put("at", f.atMillis()));
        return;
      }
    }
    fail(ctx, HearthException.notFound("node " + id + " not found"));
  }

  private void job(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (id.isEmpty() || id.length() > 64) {
      fail(ctx, HearthException.invalid("job_id: " + id.length() + " characters (expected: 1..64)"));
      return;
    }
    vertx.executeBlocking(() -> jobs.get(id), false).onSuccess(job -> {
      if (job == null) {
        fail(ctx, HearthException.notFound("job " + id + " not found"));
      } else {
        json(ctx, proto(job));
      }
    }).onFailure(e -> fail(ctx, e));
  }

  private void drain(RoutingContext ctx, boolean drained) {
    Identity who;
    try {
      who = access.operator(ctx.request());
    } catch (HearthException e) {
      fail(ctx, e);
      return;
    }
    Future.fromCompletionStage(admin.drain(who, ctx.pathParam("id"), drained), vertx.getOrCreateContext())
        .onSuccess(info -> json(ctx, new JsonObject().put("node", proto(info))))
        .onFailure(e -> fail(ctx, e));
  }

  private void approve(RoutingContext ctx) {
    Identity who;
    JsonObject body;
    try {
      who = access.operator(ctx.request());
      body = ctx.body().asJsonObject();
      if (body == null) {
        throw HearthException.invalid("body: empty (expected: {\"nonprofitId\": ..., \"weight\": 1..1000})");
      }
    } catch (HearthException e) {
      fail(ctx, e);
      return;
    } catch (RuntimeException e) {
      fail(ctx, HearthException.invalid("body: not JSON (expected: {\"nonprofitId\": ..., \"weight\": 1..1000})"));
      return;
    }
    String id = String.valueOf(body.getValue("nonprofitId", ""));
    Object w = body.getValue("weight", 1);
    int weight = w instanceof Number n ? n.intValue() : -1;
    vertx.executeBlocking(() -> admin.approve(who, id, weight), false)
        .onSuccess(n -> json(ctx, new JsonObject().put("nonprofit", proto(n))))
        .onFailure(e -> fail(ctx, e));
  }

  private static JsonObject site(FleetFigures.Site s) {
    return new JsonObject().put("name", s.name()).put("region", s.region()).put("nodes", s.nodes())
        .put("heaters", s.heaters()).put("cores", s.cores()).put("reservedCores", s.reservedCores())
        .put("heatWantedWatts", Math.round(s.heatWantedWatts()))
        .put("heatDeliveredWatts", Math.round(s.heatDeliveredWatts()))
        .put("computeDrawWatts", Math.round(s.computeDrawWatts()))
        .put("drained", s.drained()).put("lost", s.lost()).put("code", LiveFeed.code(s));
  }

  private static JsonObject proto(MessageOrBuilder message) {
    try {
      return new JsonObject(JsonFormat.printer().print(message));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void json(RoutingContext ctx, JsonObject body) {
    ctx.response().putHeader("content-type", JSON).putHeader("cache-control", "no-store").end(body.encode());
  }

  /** Domain failures become HTTP statuses with the message; anything else is 500 and logged. */
  private static void fail(RoutingContext ctx, Throwable t) {
    Throwable c = t;
    while ((c instanceof CompletionException || c instanceof ExecutionException) && c.getCause() != null) {
      c = c.getCause();
    }
    int status;
    String message;
    if (c instanceof HearthException he) {
      status = switch (he.kind()) {
        case INVALID_ARGUMENT -> 400;
        case UNAUTHENTICATED -> 401;
        case PERMISSION_DENIED -> 403;
        case NOT_FOUND -> 404;
        case RESOURCE_EXHAUSTED -> 429;
        case FAILED_PRECONDITION, ABORTED -> 409;
        case UNAVAILABLE -> 503;
      };
      message = he.getMessage();
    } else {
      LOG.error("dashboard request {} failed", ctx.request().path(), c);
      status = 500;
      message = "internal error";
    }
    if (!ctx.response().ended()) {
      ctx.response().setStatusCode(status).putHeader("content-type", JSON)
          .end(new JsonObject().put("error", message).encode());
    }
  }
}
