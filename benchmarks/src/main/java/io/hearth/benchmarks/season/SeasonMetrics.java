package io.hearth.benchmarks.season;

import io.hearth.scheduler.placement.Tiers;

/**
 * What one policy's season measured, per calendar month (index 0..11). Energies in joules, times in
 * seconds, core-time in core-seconds; the report converts. Written by its policy run's thread only,
 * read after the run ends.
 */
final class SeasonMetrics {
    static final int MONTHS = 12;

    final Policy policy;
    final int rooms;
    final double[] heatWantedJ = new double[MONTHS];
    final double[] usefulHeatJ = new double[MONTHS];
    final double[] heaterComputeJ = new double[MONTHS];
    final double[] backupJ = new double[MONTHS];
    final double[] co2AvoidedG = new double[MONTHS];
    final double[] backupCo2G = new double[MONTHS];
    /** Room degree-hours below setpoint - 1 K, and above setpoint + 1 K caused by compute (K h, summed over rooms). */
    final double[] degreeHoursBelow = new double[MONTHS];
    final double[] degreeHoursAbove = new double[MONTHS];
    /** The same rooms with backup heating only (no compute at all): degree-hours below setpoint - 1 K. */
    final double[] baselineDegreeHoursBelow = new double[MONTHS];
    /** Room-hours during which a room got any compute heat, and the compute heat rooms got (J). */
    final double[] roomHoursHeated = new double[MONTHS];
    final double[] roomComputeJ = new double[MONTHS];
    final double[] paidOnRadiatorsCoreS = new double[MONTHS];
    final double[] paidOnBoilersCoreS = new double[MONTHS];
    final double[] paidOnDatacenterCoreS = new double[MONTHS];
    final double[] paidLostCoreS = new double[MONTHS];
    final double[] donatedCoreS = new double[MONTHS];
    final double[] donatedOnBoilersCoreS = new double[MONTHS];
    final double[] donatedLostCoreS = new double[MONTHS];
    final double[] offeredCoreHours = new double[MONTHS];
    final double[] grantedCoreHours = new double[MONTHS];
    final long[] paidSubmitted = new long[MONTHS];
    final long[] paidPreemptions = new long[MONTHS];
    final long[] donatedPreemptions = new long[MONTHS];
    final long[] donatedExpired = new long[MONTHS];
    /** [tier][month], tiers RESERVED..FLEX; month index 12 is the whole period. */
    final WaitHistogram[][] waits = new WaitHistogram[Tiers.FLEX + 1][MONTHS + 1];
    final WaitHistogram[] paidWaits = new WaitHistogram[MONTHS + 1];
    long paidNeverStarted;
    long jobsPlaced;

    SeasonMetrics(Policy policy, int rooms) {
        this.policy = policy;
        this.rooms = rooms;
        for (int t = Tiers.RESERVED; t <= Tiers.FLEX; t++) {
            for (int m = 0; m <= MONTHS; m++) {
                waits[t][m] = new WaitHistogram();
            }
        }
        for (int m = 0; m <= MONTHS; m++) {
            paidWaits[m] = new WaitHistogram();
        }
    }

    void recordWait(int tier, int month, double seconds) {
        waits[tier][month].record(seconds);
        waits[tier][MONTHS].record(seconds);
        paidWaits[month].record(seconds);
        paidWaits[MONTHS].record(seconds);
    }

    static double sum(double[] a) {
        double s = 0;
        for (double v : a) {
            s += v;
        }
        return s;
    }

    static long sum(long[] a) {
        long s = 0;
        for (long v : a) {
            s += v;
        }
        return s;
    }

    double usefulFraction(int month) {
        double c = month < 0 ? sum(heaterComputeJ) : heaterComputeJ[month];
        double u = month < 0 ? sum(usefulHeatJ) : usefulHeatJ[month];
        return c > 0 ? u / c : Double.NaN;
    }

    double paidCoreS(int month) {
        return month < 0 ? sum(paidOnRadiatorsCoreS) + sum(paidOnBoilersCoreS) + sum(paidOnDatacenterCoreS)
                : paidOnRadiatorsCoreS[month] + paidOnBoilersCoreS[month] + paidOnDatacenterCoreS[month];
    }

    double datacenterShare(int month) {
        double all = paidCoreS(month);
        double dc = month < 0 ? sum(paidOnDatacenterCoreS) : paidOnDatacenterCoreS[month];
        return all > 0 ? dc / all : Double.NaN;
    }

    double boilerShare(int month) {
        double all = paidCoreS(month);
        double b = month < 0 ? sum(paidOnBoilersCoreS) : paidOnBoilersCoreS[month];
        return all > 0 ? b / all : Double.NaN;
    }
}
