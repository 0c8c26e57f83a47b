package dev.prosparse.train;

import ai.djl.ndarray.NDArray;
import java.util.Locale;

/**
 * Wall time of the phases of training steps (recipe key {@code phase_timing}; docs/gpu.md, "Phase timing"). GPU work is
 * asynchronous, so at each phase boundary this waits for the device: it reads one element of a small array that
 * lives there, and a copy to the host waits for every kernel queued before it. That wait slows the step a little, so
 * timing is off unless asked for; when off every call returns at once.
 */
final class StepPhases {
    /** The phases in step order. */
    enum Phase {
        CAST("cast"), FORWARD("forward"), BACKWARD("backward"), NORM("norm+check"), HOST_READ("host read"),
        UPDATE("update");

        final String label;

        Phase(String label) {
            this.label = label;
        }
    }

    private final boolean on;
    private final long[] nanos = new long[Phase.values().length];
    private NDArray probe;
    private long last;
    private int steps, firstStep;

    StepPhases(boolean on) {
        this.on = on;
    }

    /** Starts step t's timing; {@code probe} is any small array on the device, alive for the whole step. */
    void begin(int t, NDArray probe) {
        if (!on) {
            return;
        }
        this.probe = probe;
        if (steps == 0) {
            firstStep = t;
        }
        sync();
        last = System.nanoTime();
    }

    /** Charges the time since the previous mark to {@code phase}, once the device has finished the queued work. */
    void mark(Phase phase) {
        if (!on) {
            return;
        }
        sync();
        long now = System.nanoTime();
        nanos[phase.ordinal()] += now - last;
        last = now;
    }

    /** Ends a step. */
    void end() {
        if (on) {
            steps++;
            probe = null;
        }
    }

    private void sync() {
        probe.toFloatArray();
    }

    boolean enabled() {
        return on;
    }

    /** The steps timed since the last {@link #drain}. */
    int steps() {
        return steps;
    }

    /** Milliseconds per step of a phase, averaged over the steps since the last {@link #drain}. */
    double millisPerStep(Phase p) {
        return steps == 0 ? 0 : nanos[p.ordinal()] / 1e6 / steps;
    }

    /**
     * One line with the mean milliseconds per step of every phase and their total since the last call, e.g.
     * "phases, ms/step over steps 3-4: cast 2.1 | forward 40.3 | … | total 130.2"; then starts over.
     */
    String drain(int lastStep) {
        StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "phases, ms/step over steps %d-%d:", firstStep, lastStep));
        double total = 0;
        for (Phase p : Phase.values()) {
            double ms = millisPerStep(p);
            total += ms;
            sb.append(String.format(Locale.ROOT, " %s %.1f |", p.label, ms));
        }
        sb.append(String.format(Locale.ROOT, " total %.1f", total));
        java.util.Arrays.fill(nanos, 0);
        steps = 0;
        return sb.toString();
    }
}
