package io.hearth.benchmarks.season;

import io.hearth.scheduler.placement.NodeKinds;
import io.hearth.scheduler.placement.NodeSpec;
import io.hearth.scheduler.placement.SecurityClasses;
import io.hearth.worker.thermal.RoomGains;
import io.hearth.worker.thermal.SimulatedTank;

import java.util.SplittableRandom;

/**
 * The simulated fleet: node specs (for the placement engine) and each heater's thermal parameters,
 * with the exact one-step propagators of its thermal model precomputed for the step length. Every
 * attribute is a primitive array indexed by node number, which is also the engine slot. Generated
 * from the seed; immutable after construction and shared read-only by the policy runs.
 *
 * <p>Models (mirroring the worker's {@code SimulatedRoom} and {@code SimulatedTank}, in simulated
 * time and without their per-call synchronisation):
 * <ul>
 * <li>1R1C room: {@code C dT/dt = P + G - UA (T - Tout)}, G the room's solar and internal gains
 *     (the worker's {@code RoomGains}; into the air node of a 2R2C room).
 * <li>2R2C room: air (15 % of the mass) coupled to the envelope (85 %) by {@code 6 UA}; 30 % of UA
 *     goes from the air straight outside (windows, ventilation), the rest through the envelope, so
 *     the steady-state loss is UA as for 1R1C.
 * <li>Hot-water tank: standing loss to its plant room plus hot water drawn on a daily profile and
 *     replaced with cold mains water.
 * </ul>
 * Inputs are held constant over a step, so {@code x' = Phi x + Gamma u} is exact for any step.
 */
final class SeasonFleet {
    static final int MODEL_NONE = 0;
    static final int MODEL_1R1C = 1;
    static final int MODEL_2R2C = 2;
    static final int MODEL_TANK = 3;

    static final double RADIATOR_SHARE = 0.8;
    static final double TWO_NODE_SHARE = 0.3;
    static final double SETBACK_SHARE = 0.6;
    static final double GAS_BACKUP_SHARE = 0.5;
    /** Thermostat gains, W/K, as in SimulatedRoom and SimulatedTank. */
    static final double ROOM_KP = 200;
    static final double TANK_KP = 100;
    /** The building's own heating holds the room this far below the setpoint in force, K. */
    static final double ROOM_BACKUP_BELOW_K = 2;
    /** The tank's immersion element holds it this far below its setpoint, K. */
    static final double TANK_BACKUP_BELOW_K = 5;
    static final double TANK_BACKUP_WATTS = 2000;
    /** A tank's safety relief keeps it at or below this, C. */
    static final double TANK_MAX_C = 85;
    static final double WATER_J_PER_LITRE_K = SimulatedTank.WATER_J_PER_LITRE_K;
    static final double TANK_AMBIENT_C = SimulatedTank.DEFAULT_AMBIENT_C;
    static final double COLD_WATER_C = SimulatedTank.DEFAULT_COLD_WATER_C;

    final int heaters;
    final int size;
    final NodeSpec[] specs;
    final byte[] kind;
    final byte[] securityClass;
    final int[] cores;
    final double[] wattsPerCore;
    final double[] maxWatts;
    final byte[] model;
    /** Rooms: loss coefficient W/K, capacity J/K, setpoint C, setback K (0 = none), gas backup or electric. */
    final double[] ua;
    final double[] capacity;
    final double[] setpoint;
    final double[] setbackK;
    final boolean[] gasBackup;
    final double[] backupMaxWatts;
    /** Rooms: scale of the typical internal gains and effective solar aperture, m2 (the worker's RoomGains). */
    final double[] internalScale;
    final double[] apertureM2;
    /** Propagator: x' = phi x + gP * P + gO * Tout (1R1C uses only [0]). */
    final double[] phi11;
    final double[] phi12;
    final double[] phi21;
    final double[] phi22;
    final double[] gP1;
    final double[] gP2;
    final double[] gO1;
    final double[] gO2;
    /** Tanks: per node and local hour, decay, sink term and power coefficient; demand feed-forward W. */
    final double[] tankDecay;
    final double[] tankSink;
    final double[] tankP;
    final double[] tankFeedForward;
    /** Tanks: hot water drawn a day, litres. */
    final double[] tankDrawLitres;
    final int radiators;
    final int boilers;

    SeasonFleet(int heaterCount, int datacenterCount, double stepSeconds, long seed) {
        SplittableRandom rnd = Rng.stream(seed, "fleet");
        heaters = heaterCount;
        size = heaterCount + datacenterCount;
        specs = new NodeSpec[size];
        kind = new byte[size];
        securityClass = new byte[size];
        cores = new int[size];
        wattsPerCore = new double[size];
        maxWatts = new double[size];
        model = new byte[size];
        ua = new double[size];
        capacity = new double[size];
        setpoint = new double[size];
        setbackK = new double[size];
        gasBackup = new boolean[size];
        backupMaxWatts = new double[size];
        internalScale = new double[size];
        apertureM2 = new double[size];
        phi11 = new double[size];
        phi12 = new double[size];
        phi21 = new double[size];
        phi22 = new double[size];
        gP1 = new double[size];
        gP2 = new double[size];
        gO1 = new double[size];
        gO2 = new double[size];
        tankDecay = new double[size * 24];
        tankSink = new double[size * 24];
        tankP = new double[size * 24];
        tankFeedForward = new double[size];
        tankDrawLitres = new double[size];

        // Exact shares, shuffled by the seed (as the worker's FleetSimulator does).
        int rads = (int) Math.round(heaterCount * RADIATOR_SHARE);
        byte[] kinds = new byte[heaterCount];
        for (int i = 0; i < heaterCount; i++) {
            kinds[i] = (byte) (i < rads ? NodeKinds.RADIATOR : NodeKinds.BOILER);
        }
        for (int i = heaterCount - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            byte t = kinds[i];
            kinds[i] = kinds[j];
            kinds[j] = t;
        }
        radiators = rads;
        boilers = heaterCount - rads;
        for (int i = 0; i < size; i++) {
            if (i < heaterCount && kinds[i] == NodeKinds.RADIATOR) {
                radiator(i, rnd, stepSeconds);
            } else if (i < heaterCount) {
                boiler(i, rnd, stepSeconds);
            } else {
                datacenter(i, rnd);
            }
        }
    }

    private void radiator(int i, SplittableRandom rnd, double h) {
        double p = rnd.nextDouble();
        int sc = p < 0.8 ? SecurityClasses.SEALED : p < 0.9 ? SecurityClasses.OPEN : SecurityClasses.CONTROLLED;
        int c = 3 + rnd.nextInt(2);
        double wpc = 130 + rnd.nextInt(31);
        node(i, NodeKinds.RADIATOR, sc, c, wpc, String.format("bldg-%04d", i / 8));
        ua[i] = Rng.clamp(30 + 8 * Rng.gaussian(rnd), 15, 60);
        double tauHours = Rng.clamp(30 + 5 * Rng.gaussian(rnd), 20, 40);
        capacity[i] = ua[i] * tauHours * 3600;
        setpoint[i] = 19 + 0.5 * rnd.nextInt(3);
        setbackK[i] = rnd.nextDouble() < SETBACK_SHARE ? 2 + rnd.nextInt(2) : 0;
        gasBackup[i] = rnd.nextDouble() < GAS_BACKUP_SHARE;
        backupMaxWatts[i] = ua[i] * 30;
        if (rnd.nextDouble() < TWO_NODE_SHARE) {
            model[i] = MODEL_2R2C;
            twoNode(i, h);
        } else {
            model[i] = MODEL_1R1C;
            double a = Math.exp(-ua[i] * h / capacity[i]);
            phi11[i] = a;
            gP1[i] = (1 - a) / ua[i];
            gO1[i] = 1 - a;
        }
        RoomGains gains = RoomGains.typical(ua[i], rnd.nextDouble(), rnd.nextDouble());
        internalScale[i] = gains.internalScale();
        apertureM2[i] = gains.apertureM2();
    }

    private void twoNode(int i, double h) {
        double u = ua[i];
        double ca = 0.15 * capacity[i];
        double cm = 0.85 * capacity[i];
        double hAm = 6 * u;
        double uv = 0.3 * u;
        double um = 1 / (1 / (0.7 * u) - 1 / hAm);
        double[] a = {-(hAm + uv) / ca, hAm / ca, hAm / cm, -(hAm + um) / cm};
        double[] e = expm(a, h);
        phi11[i] = e[0];
        phi12[i] = e[1];
        phi21[i] = e[2];
        phi22[i] = e[3];
        // Gamma = A^-1 (Phi - I) B, B = [[1/ca, uv/ca], [0, um/cm]] for inputs (P, Tout).
        double det = a[0] * a[3] - a[1] * a[2];
        double[] inv = {a[3] / det, -a[1] / det, -a[2] / det, a[0] / det};
        double[] m = {e[0] - 1, e[1], e[2], e[3] - 1};
        double[] im = {inv[0] * m[0] + inv[1] * m[2], inv[0] * m[1] + inv[1] * m[3],
            inv[2] * m[0] + inv[3] * m[2], inv[2] * m[1] + inv[3] * m[3]};
        double b11 = 1 / ca;
        double b12 = uv / ca;
        double b22 = um / cm;
        gP1[i] = im[0] * b11;
        gP2[i] = im[2] * b11;
        gO1[i] = im[0] * b12 + im[1] * b22;
        gO2[i] = im[2] * b12 + im[3] * b22;
    }

    /** exp(A t) of a 2x2 matrix by scaling and squaring a Taylor series. */
    static double[] expm(double[] a, double t) {
        double norm = Math.max(Math.abs(a[0] * t) + Math.abs(a[1] * t), Math.abs(a[2] * t) + Math.abs(a[3] * t));
        int squarings = Math.max(0, (int) Math.ceil(Math.log(norm / 0.25) / Math.log(2)));
        double scale = t / Math.pow(2, squarings);
        double[] x = {a[0] * scale, a[1] * scale, a[2] * scale, a[3] * scale};
        double[] sum = {1, 0, 0, 1};
        double[] term = {1, 0, 0, 1};
        for (int k = 1; k <= 16; k++) {
            term = mul(term, x);
            for (int j = 0; j < 4; j++) {
                term[j] /= k;
                sum[j] += term[j];
            }
        }
        for (int s = 0; s < squarings; s++) {
            sum = mul(sum, sum);
        }
        return sum;
    }

    private static double[] mul(double[] p, double[] q) {
        return new double[] {p[0] * q[0] + p[1] * q[2], p[0] * q[1] + p[1] * q[3],
            p[2] * q[0] + p[3] * q[2], p[2] * q[1] + p[3] * q[3]};
    }

    private void boiler(int i, SplittableRandom rnd, double h) {
        int c = 3 + rnd.nextInt(2);
        double wpc = 130 + rnd.nextInt(31);
        node(i, NodeKinds.BOILER, SecurityClasses.CONTROLLED, c, wpc, String.format("plant-%04d", i / 4));
        model[i] = MODEL_TANK;
        double volume = 150 + 50 * rnd.nextInt(4);
        setpoint[i] = 55 + rnd.nextInt(6);
        double loss = 1.5 + rnd.nextDouble();
        double dailyDraw = 100 + rnd.nextInt(101);
        capacity[i] = volume * WATER_J_PER_LITRE_K;
        tankDrawLitres[i] = dailyDraw;
        ua[i] = loss;
        backupMaxWatts[i] = TANK_BACKUP_WATTS;
        for (int hr = 0; hr < 24; hr++) {
            double gd = dailyDraw * SimulatedTank.hourlyDrawShare(hr) / 3600 * WATER_J_PER_LITRE_K;
            double g = loss + gd;
            double sink = (loss * TANK_AMBIENT_C + gd * COLD_WATER_C) / g;
            double a = Math.exp(-g * h / capacity[i]);
            tankDecay[i * 24 + hr] = a;
            tankSink[i * 24 + hr] = (1 - a) * sink;
            tankP[i * 24 + hr] = (1 - a) / g;
        }
        double meanDraw = dailyDraw / 86_400 * WATER_J_PER_LITRE_K * (setpoint[i] - COLD_WATER_C);
        tankFeedForward[i] = loss * (setpoint[i] - TANK_AMBIENT_C) + meanDraw;
    }

    private void datacenter(int i, SplittableRandom rnd) {
        int c = 16 + 8 * rnd.nextInt(3);
        double wpc = 8 + rnd.nextInt(8);
        node(i, NodeKinds.DATACENTER, SecurityClasses.CERTIFIED, c, wpc, "dc-paris-1");
        model[i] = MODEL_NONE;
    }

    private void node(int i, int k, int sc, int c, double wpc, String site) {
        kind[i] = (byte) k;
        securityClass[i] = (byte) sc;
        cores[i] = c;
        wattsPerCore[i] = wpc;
        maxWatts[i] = c * wpc;
        String id = (k == NodeKinds.RADIATOR ? "rad-" : k == NodeKinds.BOILER ? "boil-" : "dc-") + i;
        specs[i] = new NodeSpec(id, k, sc, c, c * 4096L, wpc, "eu-west-paris", site);
    }

    /** Mean over the rooms of their internal-gains scale and of their solar aperture. */
    double meanInternalScale() {
        return meanOver(internalScale, false);
    }

    double meanApertureM2() {
        return meanOver(apertureM2, false);
    }

    /** A tank's mean heat demand at its setpoint (standing loss plus mean draw), averaged over the tanks, W. */
    double meanTankDemandWatts() {
        return meanOver(tankFeedForward, true);
    }

    double meanTankDrawLitres() {
        return meanOver(tankDrawLitres, true);
    }

    /** Mean of {@code values} over the tanks, or over the rooms. */
    private double meanOver(double[] values, boolean tanks) {
        double sum = 0;
        int n = 0;
        for (int i = 0; i < heaters; i++) {
            if ((model[i] == MODEL_TANK) == tanks) {
                sum += values[i];
                n++;
            }
        }
        return n > 0 ? sum / n : Double.NaN;
    }

    int totalCores(boolean heatersOnly) {
        int sum = 0;
        for (int i = 0; i < (heatersOnly ? heaters : size); i++) {
            sum += cores[i];
        }
        return sum;
    }
}
