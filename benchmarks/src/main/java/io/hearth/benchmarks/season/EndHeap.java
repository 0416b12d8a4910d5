package io.hearth.benchmarks.season;

import java.util.Arrays;

/**
 * A binary min-heap of (time, job record, generation) on primitive arrays: the pending job ends of
 * one policy run. An entry whose generation no longer matches its record's is stale (the attempt was
 * preempted) and is skipped by the caller. Not thread-safe.
 */
final class EndHeap {
    private double[] times = new double[1024];
    private int[] records = new int[1024];
    private int[] generations = new int[1024];
    private int size;

    void push(double time, int record, int generation) {
        if (size == times.length) {
            times = Arrays.copyOf(times, size * 2);
            records = Arrays.copyOf(records, size * 2);
            generations = Arrays.copyOf(generations, size * 2);
        }
        int i = size++;
        while (i > 0) {
            int p = (i - 1) >>> 1;
            if (times[p] <= time) {
                break;
            }
            times[i] = times[p];
            records[i] = records[p];
            generations[i] = generations[p];
            i = p;
        }
        times[i] = time;
        records[i] = record;
        generations[i] = generation;
    }

    boolean isEmpty() {
        return size == 0;
    }

    double peekTime() {
        return size == 0 ? Double.POSITIVE_INFINITY : times[0];
    }

    int peekRecord() {
        return records[0];
    }

    int peekGeneration() {
        return generations[0];
    }

    void pop() {
        int last = --size;
        double t = times[last];
        int r = records[last];
        int g = generations[last];
        int i = 0;
        while (true) {
            int c = 2 * i + 1;
            if (c >= size) {
                break;
            }
            if (c + 1 < size && times[c + 1] < times[c]) {
                c++;
            }
            if (times[c] >= t) {
                break;
            }
            times[i] = times[c];
            records[i] = records[c];
            generations[i] = generations[c];
            i = c;
        }
        times[i] = t;
        records[i] = r;
        generations[i] = g;
    }
}
