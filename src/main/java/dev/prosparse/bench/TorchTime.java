package dev.prosparse.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;
import java.util.function.Function;

/**
 * Timing helpers. Each call gets its own scratch NDManager, freed after: a call copies its input into the
 * scratch manager ({@link #in}) so that every array the FFN makes from it lands there too.
 */
final class TorchTime {
    private TorchTime() {}

    /** The result as a Java array (part of the timed work: it waits for the computation). */
    static float[] floats(NDArray a) {
        return a.toFloatArray();
    }

    /** A copy of {@code x} owned by {@code scratch}. */
    static NDArray in(NDManager scratch, NDArray x) {
        NDArray c = x.duplicate();
        c.attach(scratch);
        return c;
    }

    static float[] scoped(NDManager parent, Function<NDManager, float[]> body) {
        try (NDManager scratch = parent.newSubManager()) {
            return body.apply(scratch);
        }
    }

    /**
     * Wall-clock milliseconds of {@code reps} calls, and their mean process-CPU milliseconds (the OS counts CPU
     * time in ticks, so only the total over all calls is precise), after {@code warmup} untimed ones. CPU time
     * (all threads of this JVM) is the steadier figure when other processes share the cores.
     */
    static Timing time(NDManager parent, int warmup, int reps, Function<NDManager, float[]> body) {
        for (int i = 0; i < warmup; i++) {
            scoped(parent, body);
        }
        double[] ms = new double[reps];
        long c0 = processCpuNanos();
        for (int i = 0; i < reps; i++) {
            long t0 = System.nanoTime();
            scoped(parent, body);
            ms[i] = (System.nanoTime() - t0) / 1e6;
        }
        return new Timing(ms, (processCpuNanos() - c0) / 1e6 / reps);
    }

    /**
     * Like {@link #time} for several variants at once, interleaved: each repetition runs every variant once, in turn, so
     * that load from other processes that comes and goes falls on all variants alike (the speed-ups are ratios of
     * variants timed seconds apart otherwise). CPU time is summed per variant over its calls.
     */
    static Timing[] timeInterleaved(NDManager parent, int warmup, int reps, List<Function<NDManager, float[]>> bodies) {
        int v = bodies.size();
        for (int i = 0; i < warmup; i++) {
            for (Function<NDManager, float[]> b : bodies) {
                scoped(parent, b);
            }
        }
        double[][] ms = new double[v][reps];
        long[] cpu = new long[v];
        for (int i = 0; i < reps; i++) {
            for (int j = 0; j < v; j++) {
                long c0 = processCpuNanos(), t0 = System.nanoTime();
                scoped(parent, bodies.get(j));
                ms[j][i] = (System.nanoTime() - t0) / 1e6;
                cpu[j] += processCpuNanos() - c0;
            }
        }
        Timing[] out = new Timing[v];
        for (int j = 0; j < v; j++) {
            out[j] = new Timing(ms[j], cpu[j] / 1e6 / reps);
        }
        return out;
    }

    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean
                ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() : 0L;
    }
}
