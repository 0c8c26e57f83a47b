package dev.prosparse.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
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

    private static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean
                ? ((com.sun.management.OperatingSystemMXBean) os).getProcessCpuTime() : 0L;
    }
}
