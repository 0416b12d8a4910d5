package io.hearth.benchmarks.season;

import io.hearth.scheduler.donation.DonationSources;
import io.hearth.scheduler.donation.FairShare;
import io.hearth.scheduler.placement.Fleet;
import io.hearth.scheduler.placement.JobRequest;
import io.hearth.scheduler.placement.NodeKinds;
import io.hearth.scheduler.placement.PlacementEngine;
import io.hearth.scheduler.placement.PlacementOptions;
import io.hearth.scheduler.placement.Tiers;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One policy's season: a discrete-event simulation in simulated time over the shared fleet and
 * weather. Job arrivals and ends are events at their exact instants; heat is integrated per fixed
 * step (the rooms and tanks advance exactly for the mean compute power of the step, and the nodes
 * report their thermostat's demand at each step boundary; telemetry is the exact model state).
 *
 * <p>Placement goes through a real {@link PlacementEngine} per run: for Hearth with its default
 * options and filters, fed the nodes' demand and draw; for the heat-blind policies the engine keeps
 * the books (reserve and unreserve re-check every hard filter) while a {@link BlindSelector} picks
 * the node, and heaters report an unbounded demand so the heat filter never speaks. Paid work that
 * fits nowhere preempts DONATED work (newest first) on the node where that frees the fewest cores,
 * for every policy alike. Hearth additionally moves work off heaters whose room or tank wants less
 * than the work draws (the agent's thermal throttle and the scheduler's thermal stop).
 *
 * <p>Donations: every window ({@value #WINDOW_HOURS} h) each policy publishes an offer of idle
 * capacity as it sees it, shares it among three nonprofits with the scheduler's own
 * {@link FairShare}, and each nonprofit submits DONATED jobs up to its grant; jobs not started by
 * the window's end expire. Hearth offers idle heat headroom (the Placer's formula over the heaters'
 * forecasts, as the worker sends them: to hold the setpoint less the expected gains, plus to bring the
 * room or tank back to it within the window; {@code --forecast hold} leaves out the latter); the heat-blind
 * policies, knowing no heat, offer their heaters' free cores.
 *
 * <p>Threading: one run is owned by one thread; runs share only immutable inputs.
 */
final class PolicyRun {
    static final int WINDOW_HOURS = 4;
    /** Nonprofits: name, weight, claim in cores for the whole window (scaled with the fleet). */
    static final String[] NONPROFITS = {"open-renders", "climate-models", "protein-folding"};
    static final double[] NONPROFIT_WEIGHTS = {2, 1, 1};
    static final double[] NONPROFIT_CLAIM_CORES = {4_000, 2_500, 1_500};
    /** Telemetry of heat-blind heaters: a demand no job can exceed, so only the hard filters decide. */
    static final double BLIND_DEMAND_WATTS = 1e9;
    static final double MEMORY_MIB_PER_CORE = 2048;
    /** Jobs tried from each tier's queue when capacity frees between steps (the step pass tries all). */
    static final int RETRY_PER_RELEASE = 8;
    /** gCO2 per kWh of heat displaced: gas boiler 227 g/kWh of gas at 90 % efficiency, French grid. */
    static final double GAS_HEAT_G_PER_KWH = 227 / 0.9;
    static final double ELECTRIC_HEAT_G_PER_KWH = 56;
    /** Heater kinds whose idle capacity is offered: the scheduler's default (radiators). */
    static final DonationSources DONATION_SOURCES = DonationSources.DEFAULT;

    private static final byte QUEUED = 1;
    private static final byte RUNNING = 2;
    private static final byte DONE = 3;

    private final Policy policy;
    private final SeasonFleet sf;
    private final Climate climate;
    private final PlacementEngine engine;
    private final Fleet fleet;
    private final BlindSelector blind;
    private final JobRequest req = new JobRequest();
    private final PaidWorkload paid;
    private final SplittableRandom donationRnd;
    private final SeasonMetrics m;
    private final double scale;
    private final boolean recoveryForecast;
    private final int[] paidTenants = new int[PaidWorkload.TENANTS];
    private final int[] nonprofitTenants = new int[NONPROFITS.length];
    private final double h;
    private final int heaters;

    // Thermal state per node (air and envelope for 2R2C), its no-compute twin, and the demand in force.
    private final double[] temp;
    private final double[] temp2;
    private final double[] twin;
    private final double[] twin2;
    private final double[] demand;
    /** Core-seconds of compute in the current step, per node. */
    private final double[] coreSeconds;
    private final double[] intensity;

    // Job records (columns), recycled through a free stack.
    private int capacity = 1 << 14;
    private int[] jCores = new int[capacity];
    private byte[] jTier = new byte[capacity];
    private byte[] jClass = new byte[capacity];
    private boolean[] jExclusive = new boolean[capacity];
    private int[] jTenant = new int[capacity];
    private double[] jSubmit = new double[capacity];
    private double[] jRuntime = new double[capacity];
    private double[] jStart = new double[capacity];
    private int[] jSlot = new int[capacity];
    private long[] jReservation = new long[capacity];
    private int[] jGeneration = new int[capacity];
    private byte[] jState = new byte[capacity];
    private boolean[] jStarted = new boolean[capacity];
    private int[] jWindow = new int[capacity];
    private int[] jNext = new int[capacity];
    private int[] jPrev = new int[capacity];
    private int[] freeRecords = new int[capacity];
    private int freeCount;
    private int records;

    private final int[] nodeHead;
    private final int[] donatedOnNode;
    private final int[] donatedNodes;
    private final int[] donatedPos;
    private int donatedNodeCount;

    private final EndHeap ends = new EndHeap();
    private final JobQueue[] queues = new JobQueue[Tiers.DONATED + 1];
    private static final int SHAPES = 1 << 13;
    /** Per {@link #shape}: the pass in which a job of that shape last failed to fit anywhere. */
    private final int[] failedShape;
    private int passId;
    private long reservations;
    private long queuedPaidCores;
    private int window = -1;
    private int step;
    private double stepEnd;

    PolicyRun(Policy policy, SeasonFleet sf, Climate climate, long seed, double scale, boolean recoveryForecast) {
        this.policy = policy;
        this.recoveryForecast = recoveryForecast;
        this.sf = sf;
        this.climate = climate;
        this.scale = scale;
        this.h = climate.stepSeconds;
        this.heaters = sf.heaters;
        int n = sf.size;
        engine = new PlacementEngine(PlacementOptions.defaults().withInitialCapacity(Math.max(1, n)));
        for (int i = 0; i < n; i++) {
            int slot = engine.upsertNode(sf.specs[i]);
            if (slot != i) {
                throw new IllegalStateException("slot " + slot + " for node " + i);
            }
        }
        fleet = engine.fleet();
        for (int t = 0; t < paidTenants.length; t++) {
            paidTenants[t] = engine.tenantId(String.format("tenant-%02d", t + 1));
        }
        int tenants = 0;
        for (int i = 0; i < NONPROFITS.length; i++) {
            nonprofitTenants[i] = engine.tenantId("nonprofit-" + NONPROFITS[i]);
            tenants = Math.max(tenants, nonprofitTenants[i]);
        }
        failedShape = new int[(tenants + 2) * SHAPES];
        blind = policy.heatAware() ? null : new BlindSelector(fleet, policy, Rng.stream(seed, "random-policy"));
        paid = new PaidWorkload(climate, scale, seed);
        donationRnd = Rng.stream(seed, "donations-" + policy.id);
        m = new SeasonMetrics(policy, sf.radiators);
        for (int t = 0; t < queues.length; t++) {
            queues[t] = new JobQueue();
        }
        temp = new double[n];
        temp2 = new double[n];
        twin = new double[n];
        twin2 = new double[n];
        demand = new double[n];
        coreSeconds = new double[n];
        intensity = new double[n];
        nodeHead = new int[n];
        Arrays.fill(nodeHead, -1);
        donatedOnNode = new int[n];
        donatedNodes = new int[n];
        donatedPos = new int[n];
        for (int i = 0; i < heaters; i++) {
            double start = sf.model[i] == SeasonFleet.MODEL_TANK ? sf.setpoint[i] : sf.setpoint[i] - 0.5;
            temp[i] = start;
            temp2[i] = start;
            twin[i] = start;
            twin2[i] = start;
            intensity[i] = sf.model[i] != SeasonFleet.MODEL_TANK && sf.gasBackup[i] ? GAS_HEAT_G_PER_KWH
                    : ELECTRIC_HEAT_G_PER_KWH;
            demand[i] = demandAt(i, 0, temp[i]);
            engine.updateTelemetry(i, policy.heatAware() ? demand[i] : BLIND_DEMAND_WATTS, 0);
        }
    }

    SeasonMetrics run() {
        for (step = 0; step < climate.steps; step++) {
            double t0 = step * h;
            stepEnd = t0 + h;
            for (int i = 0; i < heaters; i++) {
                coreSeconds[i] = fleet.reservedCores(i) * h;
            }
            if (step % (WINDOW_HOURS * climate.stepsPerHour()) == 0) {
                donationWindow(t0);
            }
            passId++;
            fullPass(t0);
            events();
            thermalStep();
        }
        for (int t = Tiers.RESERVED; t <= Tiers.FLEX; t++) {
            JobQueue q = queues[t];
            for (int i = q.head; i < q.tail; i++) {
                if (q.entries[i] >= 0 && !jStarted[q.entries[i]]) {
                    m.paidNeverStarted++;
                }
            }
        }
        return m;
    }

    // ---------------------------------------------------------------- events

    private void events() {
        while (true) {
            double te = ends.peekTime();
            double ta = paid.time;
            if (te >= stepEnd && ta >= stepEnd) {
                return;
            }
            if (te <= ta) {
                int rec = ends.peekRecord();
                int gen = ends.peekGeneration();
                ends.pop();
                if (jGeneration[rec] == gen && jState[rec] == RUNNING) {
                    stop(rec, te, false);
                    release(rec);
                    passId++;
                    retry(te);
                }
            } else {
                arrival(ta);
                paid.advance();
            }
        }
    }

    private void arrival(double t) {
        int rec = newRecord();
        jCores[rec] = paid.cores;
        jTier[rec] = (byte) paid.tier;
        jClass[rec] = (byte) paid.securityClass;
        jExclusive[rec] = paid.exclusive;
        jTenant[rec] = paidTenants[paid.tenant];
        jSubmit[rec] = t;
        jRuntime[rec] = paid.runtimeSeconds;
        jStarted[rec] = false;
        m.paidSubmitted[month()]++;
        if (!tryPlace(rec, t, true)) {
            enqueue(rec);
        }
    }

    /** Every queued job, highest tier first, oldest first; jobs of a shape that failed this pass are skipped. */
    private void fullPass(double t) {
        for (int tier = Tiers.RESERVED; tier <= Tiers.DONATED; tier++) {
            JobQueue q = queues[tier];
            for (int i = q.head; i < q.tail; i++) {
                int rec = q.entries[i];
                if (rec < 0) {
                    continue;
                }
                if (tier == Tiers.DONATED && jWindow[rec] != window) {
                    q.removeAt(i);
                    m.donatedExpired[month()]++;
                    release(rec);
                    continue;
                }
                if (tryPlace(rec, t, true)) {
                    q.removeAt(i);
                    dequeued(rec);
                }
            }
            q.compact();
        }
    }

    /** After capacity frees: the first few queued jobs of each tier, without preemption. */
    private void retry(double t) {
        for (int tier = Tiers.RESERVED; tier <= Tiers.DONATED; tier++) {
            JobQueue q = queues[tier];
            if (q.live == 0) {
                continue;
            }
            int tried = 0;
            for (int i = q.head; i < q.tail && tried < RETRY_PER_RELEASE; i++) {
                int rec = q.entries[i];
                if (rec < 0 || (tier == Tiers.DONATED && jWindow[rec] != window)) {
                    continue;
                }
                tried++;
                if (tryPlace(rec, t, false)) {
                    q.removeAt(i);
                    dequeued(rec);
                }
            }
        }
    }

    private void enqueue(int rec) {
        jState[rec] = QUEUED;
        queues[jTier[rec]].add(rec);
        if (jTier[rec] < Tiers.DONATED) {
            queuedPaidCores += jCores[rec];
        }
    }

    private void dequeued(int rec) {
        if (jTier[rec] < Tiers.DONATED) {
            queuedPaidCores -= jCores[rec];
        }
    }

    /**
     * What decides whether a job fits anywhere: tier, class and cores (memory follows the cores, no
     * region), and for an exclusive job its tenant too (it fits only on nodes that are empty or hold
     * only its tenant's work).
     */
    private int shape(int rec) {
        int shape = ((jTier[rec] * 8 + jClass[rec]) << 7) | Math.min(127, jCores[rec]);
        return jExclusive[rec] ? (jTenant[rec] + 1) * SHAPES + shape : shape;
    }

    private boolean tryPlace(int rec, double t, boolean mayPreempt) {
        int shape = shape(rec);
        if (failedShape[shape] == passId) {
            return false;
        }
        setRequest(rec);
        int slot = policy.heatAware() ? engine.place(req) : blind.select(req);
        if (slot < 0 && mayPreempt && jTier[rec] < Tiers.DONATED) {
            slot = preemptFor(rec, t);
        }
        if (slot < 0) {
            failedShape[shape] = passId;
            return false;
        }
        start(rec, slot, t);
        return true;
    }

    private void setRequest(int rec) {
        req.cores = jCores[rec];
        req.memoryMib = (long) (jCores[rec] * MEMORY_MIB_PER_CORE);
        req.minSecurityClass = jClass[rec];
        req.tier = jTier[rec];
        req.exclusive = jExclusive[rec];
        req.tenant = jTenant[rec];
        req.regionMask = 0;
    }

    private void start(int rec, int slot, double t) {
        long id = ++reservations;
        if (!engine.reserve(slot, id, req)) {
            throw new IllegalStateException(policy + ": node " + slot + " refused " + req);
        }
        if (blind != null) {
            blind.update(slot);
        }
        m.jobsPlaced++;
        jReservation[rec] = id;
        jSlot[rec] = slot;
        jState[rec] = RUNNING;
        jStart[rec] = t;
        int gen = ++jGeneration[rec];
        int head = nodeHead[slot];
        jNext[rec] = head;
        jPrev[rec] = -1;
        if (head >= 0) {
            jPrev[head] = rec;
        }
        nodeHead[slot] = rec;
        if (jTier[rec] == Tiers.DONATED && donatedOnNode[slot]++ == 0) {
            donatedPos[slot] = donatedNodeCount;
            donatedNodes[donatedNodeCount++] = slot;
        }
        if (slot < heaters) {
            coreSeconds[slot] += jCores[rec] * (stepEnd - t);
        }
        ends.push(t + jRuntime[rec], rec, gen);
        if (!jStarted[rec] && jTier[rec] < Tiers.DONATED) {
            m.recordWait(jTier[rec], month(), t - jSubmit[rec]);
        }
        jStarted[rec] = true;
    }

    /** Ends an attempt at {@code t} (finished or preempted) and accounts its core-time. */
    private void stop(int rec, double t, boolean preempted) {
        int slot = jSlot[rec];
        engine.unreserve(jReservation[rec]);
        if (blind != null) {
            blind.update(slot);
        }
        int next = jNext[rec];
        int prev = jPrev[rec];
        if (prev >= 0) {
            jNext[prev] = next;
        } else {
            nodeHead[slot] = next;
        }
        if (next >= 0) {
            jPrev[next] = prev;
        }
        if (jTier[rec] == Tiers.DONATED && --donatedOnNode[slot] == 0) {
            int pos = donatedPos[slot];
            int last = donatedNodes[--donatedNodeCount];
            donatedNodes[pos] = last;
            donatedPos[last] = pos;
        }
        if (slot < heaters) {
            coreSeconds[slot] -= jCores[rec] * (stepEnd - t);
            if (policy.heatAware()) {
                // Telemetry is the exact model state: the node's next report no longer counts this attempt.
                engine.updateTelemetry(slot, fleet.heatDemandWatts(slot), fleet.reservedCores(slot) * sf.wattsPerCore[slot]);
            }
        }
        jGeneration[rec]++;
        jState[rec] = DONE;
        double ran = jCores[rec] * (t - jStart[rec]);
        int mo = month();
        if (jTier[rec] == Tiers.DONATED) {
            m.donatedCoreS[mo] += ran;
            if (sf.kind[slot] == NodeKinds.BOILER) {
                m.donatedOnBoilersCoreS[mo] += ran;
            }
            if (preempted) {
                m.donatedLostCoreS[mo] += ran;
                m.donatedPreemptions[mo]++;
            }
        } else {
            int kind = sf.kind[slot];
            if (kind == NodeKinds.DATACENTER) {
                m.paidOnDatacenterCoreS[mo] += ran;
            } else if (kind == NodeKinds.BOILER) {
                m.paidOnBoilersCoreS[mo] += ran;
            } else {
                m.paidOnRadiatorsCoreS[mo] += ran;
            }
            if (preempted) {
                m.paidLostCoreS[mo] += ran;
                m.paidPreemptions[mo]++;
            }
        }
    }

    /** A preempted attempt goes back to its queue (a DONATED one only while its window lasts). */
    private void requeue(int rec) {
        if (jTier[rec] == Tiers.DONATED && jWindow[rec] != window) {
            m.donatedExpired[month()]++;
            release(rec);
        } else {
            enqueue(rec);
        }
    }

    /**
     * Makes room for a paid job that fits nowhere: on the node where stopping DONATED work (newest
     * first) lets it pass every filter while freeing the fewest cores. Returns that node or -1.
     */
    private int preemptFor(int rec, double t) {
        int cores = jCores[rec];
        int best = -1;
        int bestVictims = 0;
        int bestFreed = Integer.MAX_VALUE;
        for (int k = 0; k < donatedNodeCount; k++) {
            int slot = donatedNodes[k];
            if (sf.securityClass[slot] < jClass[rec]) {
                continue;
            }
            int free = fleet.freeCores(slot);
            int reserved = fleet.reservedCores(slot);
            double wpc = sf.wattsPerCore[slot];
            int freed = 0;
            int victims = 0;
            for (int j = nodeHead[slot]; j >= 0; j = jNext[j]) {
                if (jTier[j] != Tiers.DONATED) {
                    continue;
                }
                victims++;
                freed += jCores[j];
                boolean capacityOk = free + freed >= cores;
                boolean heatOk = !policy.heatAware()
                        || fleet.heatDemandWatts(slot) - (reserved - freed) * wpc >= cores * wpc;
                if (capacityOk && heatOk && exclusivityAllows(slot, rec, victims)) {
                    if (freed < bestFreed) {
                        best = slot;
                        bestVictims = victims;
                        bestFreed = freed;
                    }
                    break;
                }
            }
        }
        if (best < 0) {
            return -1;
        }
        int[] victimList = new int[bestVictims];
        int v = 0;
        for (int j = nodeHead[best]; j >= 0 && v < bestVictims; j = jNext[j]) {
            if (jTier[j] == Tiers.DONATED) {
                victimList[v++] = j;
            }
        }
        for (int j : victimList) {
            stop(j, t, true);
            requeue(j);
        }
        setRequest(rec);
        return best;
    }

    private boolean exclusivityAllows(int slot, int rec, int donatedVictims) {
        int skipped = 0;
        for (int j = nodeHead[slot]; j >= 0; j = jNext[j]) {
            if (jTier[j] == Tiers.DONATED && skipped < donatedVictims) {
                skipped++;
                continue;
            }
            if (jTenant[j] != jTenant[rec] && (jExclusive[rec] || jExclusive[j])) {
                return false;
            }
        }
        return true;
    }

    // ---------------------------------------------------------------- donations

    private void donationWindow(double t) {
        window++;
        int windowSteps = WINDOW_HOURS * climate.stepsPerHour();
        double meanOut = 0;
        double setbackShare = 0;
        double meanInternal = 0;
        double meanSun = 0;
        int count = 0;
        for (int s = step; s < Math.min(climate.steps, step + windowSteps); s++, count++) {
            meanOut += climate.outdoorC[s];
            setbackShare += climate.setback[s] ? 1 : 0;
            meanInternal += climate.internalWatts[s];
            meanSun += climate.irradiance[s];
        }
        meanOut /= Math.max(1, count);
        setbackShare /= Math.max(1, count);
        meanInternal /= Math.max(1, count);
        meanSun /= Math.max(1, count);
        double windowSeconds = windowSteps * h;
        double idle = 0;
        for (int i = 0; i < heaters; i++) {
            int free = fleet.freeCores(i);
            // The scheduler's default donation.node-kinds, for every policy alike: rooms' heat only.
            int kind = sf.model[i] == SeasonFleet.MODEL_TANK ? NodeKinds.BOILER : NodeKinds.RADIATOR;
            if (free <= 0 || !DONATION_SOURCES.offers(kind)) {
                continue;
            }
            if (policy.heatAware()) {
                double wpc = sf.wattsPerCore[i];
                // The worker's forecast (LumpedThermalModel.forecastDemandWatts): the heat to hold the
                // setpoint over the window less the expected gains, plus (recover) the heat to bring the
                // mass from its temperature now back to the setpoint within the window.
                double hold;
                double setpointNow;
                if (sf.model[i] == SeasonFleet.MODEL_TANK) {
                    hold = Math.min(sf.maxWatts[i], sf.tankFeedForward[i]);
                    setpointNow = sf.setpoint[i];
                } else {
                    double raw = sf.ua[i] * (sf.setpoint[i] - sf.setbackK[i] * setbackShare - meanOut);
                    hold = Math.max(0, Math.min(sf.maxWatts[i], raw))
                            - (sf.internalScale[i] * meanInternal + sf.apertureM2[i] * meanSun);
                    setpointNow = setpointAt(i, step);
                }
                double recover = recoveryForecast ? sf.capacity[i] * Math.max(0, setpointNow - temp[i]) / windowSeconds : 0;
                double forecast = Math.max(0, Math.min(sf.maxWatts[i], hold + recover));
                double watts = Math.min(fleet.headroomWatts(i), forecast - fleet.reservedCores(i) * wpc);
                idle += Math.max(0, Math.min(free, Math.floor(Math.max(0, watts) / wpc)));
            } else {
                idle += free;
            }
        }
        double offered = Math.floor(Math.max(0, idle - queuedPaidCores) * WINDOW_HOURS);
        List<FairShare.Claim> claims = new ArrayList<>(NONPROFITS.length);
        for (int i = 0; i < NONPROFITS.length; i++) {
            claims.add(new FairShare.Claim(NONPROFITS[i], Math.floor(NONPROFIT_CLAIM_CORES[i] * scale * WINDOW_HOURS),
                    NONPROFIT_WEIGHTS[i]));
        }
        Map<String, Long> grants = FairShare.allocate(offered, claims);
        int mo = month();
        m.offeredCoreHours[mo] += offered;
        for (int i = 0; i < NONPROFITS.length; i++) {
            long grant = grants.getOrDefault(NONPROFITS[i], 0L);
            m.grantedCoreHours[mo] += grant;
            double left = grant * 3600.0;
            while (left > 0) {
                int cores = (int) Rng.clamp(Math.round(Rng.lognormal(donationRnd, 2, 0.4)), 1, 4);
                double runtime = Rng.clamp(Rng.lognormal(donationRnd, 2.5 * 3600, 0.5), 900, 8 * 3600);
                if (cores * runtime > left) {
                    runtime = left / cores;
                    if (runtime < 600) {
                        break;
                    }
                }
                left -= cores * runtime;
                int rec = newRecord();
                jCores[rec] = cores;
                jTier[rec] = Tiers.DONATED;
                jClass[rec] = (byte) io.hearth.scheduler.placement.SecurityClasses.OPEN;
                jExclusive[rec] = false;
                jTenant[rec] = nonprofitTenants[i];
                jSubmit[rec] = t;
                jRuntime[rec] = runtime;
                jStarted[rec] = false;
                jWindow[rec] = window;
                enqueue(rec);
            }
        }
    }

    // ---------------------------------------------------------------- heat

    /** The thermostat's demand at the start of step {@code s} for a node at {@code temperature}. */
    private double demandAt(int i, int s, double temperature) {
        double raw;
        if (sf.model[i] == SeasonFleet.MODEL_TANK) {
            raw = sf.tankFeedForward[i] + SeasonFleet.TANK_KP * (sf.setpoint[i] - temperature);
        } else {
            double sp = setpointAt(i, s);
            raw = sf.ua[i] * (sp - climate.outdoorC[s]) + SeasonFleet.ROOM_KP * (sp - temperature);
        }
        return Math.max(0, Math.min(sf.maxWatts[i], raw));
    }

    private double setpointAt(int i, int s) {
        return climate.setback[s] ? sf.setpoint[i] - sf.setbackK[i] : sf.setpoint[i];
    }

    /** Advances every heater by one step for its mean compute power, accounts heat and comfort, reports demand. */
    private void thermalStep() {
        int s = step;
        int next = Math.min(climate.steps - 1, s + 1);
        double out = climate.outdoorC[s];
        double internal = climate.internalWatts[s];
        double sun = climate.irradiance[s];
        int hour = climate.hour[s];
        double hours = h / 3600;
        double wanted = 0;
        double useful = 0;
        double compute = 0;
        double backup = 0;
        double avoided = 0;
        double backupCo2 = 0;
        double below = 0;
        double above = 0;
        double baseline = 0;
        double heatedRooms = 0;
        double roomCompute = 0;
        boolean aware = policy.heatAware();
        for (int i = 0; i < heaters; i++) {
            double p = coreSeconds[i] * sf.wattsPerCore[i] / h;
            double d = demand[i];
            double pb;
            double t = temp[i];
            int model = sf.model[i];
            if (model == SeasonFleet.MODEL_TANK) {
                int k = i * 24 + hour;
                double a = sf.tankDecay[k];
                double sink = sf.tankSink[k];
                double gp = sf.tankP[k];
                double tn = a * t + sink + gp * p;
                double floor = sf.setpoint[i] - SeasonFleet.TANK_BACKUP_BELOW_K;
                pb = tn < floor ? Math.min(sf.backupMaxWatts[i], (floor - tn) / gp) : 0;
                tn = Math.min(SeasonFleet.TANK_MAX_C, tn + gp * pb);
                temp[i] = tn;
            } else {
                double sp = setpointAt(i, s);
                double floor = sp - SeasonFleet.ROOM_BACKUP_BELOW_K;
                // Sun and occupants heat the room and its no-compute twin alike, as compute power does.
                double g = sf.internalScale[i] * internal + sf.apertureM2[i] * sun;
                double tn;
                double tw;
                double twn;
                double gp = sf.gP1[i];
                if (model == SeasonFleet.MODEL_1R1C) {
                    double a = sf.phi11[i];
                    double go = sf.gO1[i];
                    tn = a * t + go * out + gp * (p + g);
                    pb = tn < floor ? Math.min(sf.backupMaxWatts[i], (floor - tn) / gp) : 0;
                    tn += gp * pb;
                    tw = twin[i];
                    twn = a * tw + go * out + gp * g;
                    if (twn < floor) {
                        twn += gp * Math.min(sf.backupMaxWatts[i], (floor - twn) / gp);
                    }
                } else {
                    double m1 = temp2[i];
                    double p11 = sf.phi11[i];
                    double p12 = sf.phi12[i];
                    double p21 = sf.phi21[i];
                    double p22 = sf.phi22[i];
                    double gp2 = sf.gP2[i];
                    double go1 = sf.gO1[i];
                    double go2 = sf.gO2[i];
                    tn = p11 * t + p12 * m1 + go1 * out + gp * (p + g);
                    double mn = p21 * t + p22 * m1 + go2 * out + gp2 * (p + g);
                    pb = tn < floor ? Math.min(sf.backupMaxWatts[i], (floor - tn) / gp) : 0;
                    tn += gp * pb;
                    mn += gp2 * pb;
                    temp2[i] = mn;
                    tw = twin[i];
                    double tm = twin2[i];
                    twn = p11 * tw + p12 * tm + go1 * out + gp * g;
                    double tmn = p21 * tw + p22 * tm + go2 * out + gp2 * g;
                    if (twn < floor) {
                        double pbt = Math.min(sf.backupMaxWatts[i], (floor - twn) / gp);
                        twn += gp * pbt;
                        tmn += gp2 * pbt;
                    }
                    twin2[i] = tmn;
                }
                temp[i] = tn;
                twin[i] = twn;
                double mean = 0.5 * (t + tn);
                double twinMean = 0.5 * (tw + twn);
                if (mean < sp - 1) {
                    below += (sp - 1 - mean) * hours;
                }
                if (twinMean < sp - 1) {
                    baseline += (sp - 1 - twinMean) * hours;
                }
                if (p > 0) {
                    heatedRooms++;
                    roomCompute += p;
                }
                double hot = Math.max(sp + 1, twinMean);
                if (mean > hot) {
                    above += (mean - hot) * hours;
                }
            }
            double u = Math.min(p, d);
            wanted += d;
            useful += u;
            compute += p;
            backup += pb;
            avoided += u * intensity[i];
            backupCo2 += pb * intensity[i];
            double dn = demandAt(i, next, temp[i]);
            demand[i] = dn;
            if (aware) {
                engine.updateTelemetry(i, dn, fleet.reservedCores(i) * sf.wattsPerCore[i]);
            }
        }
        int mo = month();
        m.heatWantedJ[mo] += wanted * h;
        m.usefulHeatJ[mo] += useful * h;
        m.heaterComputeJ[mo] += compute * h;
        m.backupJ[mo] += backup * h;
        m.co2AvoidedG[mo] += avoided * h / 3.6e6;
        m.backupCo2G[mo] += backupCo2 * h / 3.6e6;
        m.degreeHoursBelow[mo] += below;
        m.degreeHoursAbove[mo] += above;
        m.baselineDegreeHoursBelow[mo] += baseline;
        m.roomHoursHeated[mo] += heatedRooms * hours;
        m.roomComputeJ[mo] += roomCompute * h;
        if (aware) {
            thermalStops(stepEnd);
        }
    }

    /**
     * Hearth's agents pause work whose draw exceeds their room's demand by more than half a core, and
     * the scheduler then preempts the lowest tiers (newest first) to cover the paused cores and places
     * them where heat is wanted. With steps of minutes both delays (30 s, 60 s) fall within one step.
     */
    private void thermalStops(double t) {
        boolean any = false;
        for (int i = 0; i < heaters; i++) {
            double wpc = sf.wattsPerCore[i];
            double limit = demand[i] + wpc / 2;
            double draw = fleet.reservedCores(i) * wpc;
            while (draw > limit && nodeHead[i] >= 0) {
                int victim = -1;
                for (int j = nodeHead[i]; j >= 0; j = jNext[j]) {
                    if (victim < 0 || jTier[j] > jTier[victim]) {
                        victim = j;
                    }
                }
                draw -= jCores[victim] * wpc;
                stop(victim, t, true);
                requeue(victim);
                any = true;
            }
        }
        if (any) {
            passId++;
        }
    }

    // ---------------------------------------------------------------- records

    private int month() {
        return climate.month[Math.min(step, climate.steps - 1)];
    }

    private int newRecord() {
        if (freeCount > 0) {
            return freeRecords[--freeCount];
        }
        if (records == capacity) {
            capacity *= 2;
            jCores = Arrays.copyOf(jCores, capacity);
            jTier = Arrays.copyOf(jTier, capacity);
            jClass = Arrays.copyOf(jClass, capacity);
            jExclusive = Arrays.copyOf(jExclusive, capacity);
            jTenant = Arrays.copyOf(jTenant, capacity);
            jSubmit = Arrays.copyOf(jSubmit, capacity);
            jRuntime = Arrays.copyOf(jRuntime, capacity);
            jStart = Arrays.copyOf(jStart, capacity);
            jSlot = Arrays.copyOf(jSlot, capacity);
            jReservation = Arrays.copyOf(jReservation, capacity);
            jGeneration = Arrays.copyOf(jGeneration, capacity);
            jState = Arrays.copyOf(jState, capacity);
            jStarted = Arrays.copyOf(jStarted, capacity);
            jWindow = Arrays.copyOf(jWindow, capacity);
            jNext = Arrays.copyOf(jNext, capacity);
            jPrev = Arrays.copyOf(jPrev, capacity);
            freeRecords = Arrays.copyOf(freeRecords, capacity);
        }
        return records++;
    }

    private void release(int rec) {
        jState[rec] = 0;
        freeRecords[freeCount++] = rec;
    }
}
