package io.hearth.benchmarks.season;

import java.util.Arrays;

/**
 * A FIFO of job records for one tier, with removal in place (a removed entry becomes -1 and is
 * squeezed out by {@link #compact}), so a pass can place jobs from the middle without reordering
 * the rest. Not thread-safe.
 */
final class JobQueue {
    int[] entries = new int[256];
    int head;
    int tail;
    int live;

    void add(int record) {
        if (tail == entries.length) {
            compact();
            if (tail == entries.length) {
                entries = Arrays.copyOf(entries, entries.length * 2);
            }
        }
        entries[tail++] = record;
        live++;
    }

    void removeAt(int i) {
        entries[i] = -1;
        live--;
        while (head < tail && entries[head] < 0) {
            head++;
        }
    }

    void compact() {
        int w = 0;
        for (int i = head; i < tail; i++) {
            if (entries[i] >= 0) {
                entries[w++] = entries[i];
            }
        }
        head = 0;
        tail = w;
    }
}
