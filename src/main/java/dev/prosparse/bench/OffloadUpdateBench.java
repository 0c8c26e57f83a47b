package dev.prosparse.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.optim.AdamW;
import dev.prosparse.optim.HostAdamW;
import dev.prosparse.optim.HostViews;
import dev.prosparse.util.Torch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The host side of the offloaded optimizer step, old against new, on the same float32 masters and moments and float16
 * gradients in host memory (docs/gpu.md, "Optimizer offload"; run by scripts/bench-offload-update.sh):
 * <ul>
 *   <li>old: libtorch's multi-tensor AdamW ({@link AdamW#fusedStep}, about 15 passes) on the CPU, then the cast of
 *       every master to float16 that the next step's start used to do (the host half of its "cast" phase);</li>
 *   <li>peer: libtorch's one-pass CPU AdamW ({@link AdamW#onePassStep}, {@code _fused_adamw_}, after a float32 cast
 *       of each chunk's float16 gradients), then the same cast of the masters;</li>
 *   <li>new: {@link HostAdamW}, one pass that also writes the float16 compute weights.</li>
 * </ul>
 * Both run on the same number of threads (libtorch's intra-op threads for the old, the kernel's pool for the new).
 * Memory: 14 bytes per parameter (p, m, v float32, g float16) plus about 1 GiB of libtorch temporaries per 64 M-element
 * chunk of the old update. No copies to or from a GPU are timed: this is the host's share of the step.
 *
 * <p>usage: {@code OffloadUpdateBench [params (default 268435456)] [threads (default: all cores)] [steps (3)]
 * [tensor elements (67108864)]}
 */
public final class OffloadUpdateBench {
    private OffloadUpdateBench() {}

    /** Bytes the one-pass kernel moves per parameter: p, m, v read and written (24), g read and w written (2 + 2). */
    static final int BYTES_PER_PARAM = 28;
    static final double LLAMA2_7B = 6.74e9;

    public static void main(String[] args) {
        long params = args.length > 0 ? Long.parseLong(args[0]) : 1L << 28;
        int threads = Torch.threads(args.length > 1 ? Integer.parseInt(args[1]) : 0);
        int steps = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        long tensor = args.length > 3 ? Long.parseLong(args[3]) : 1L << 26;
        if (params < 1 || steps < 1 || tensor < 1) {
            throw new IllegalArgumentException("params, steps and tensor elements must be ≥ 1, e.g. 268435456 16 3 67108864");
        }
        Torch.start(threads);
        System.out.println("machine: " + Machine.describe());
        System.out.println("environment: " + Machine.environment());
        System.out.printf(Locale.ROOT, "offload update bench: %,d parameters in tensors of %,d, float16 gradients, %d threads,"
                + " %d timed steps after 1 warm-up; memory ≈ %.1f GiB%n", params, tensor, threads, steps,
                (params * 14.0 + Math.min(params, 1L << 26) * 16.0) / (1L << 30));
        try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu())) {   // host memory also on a GPU machine
            Map<String, NDArray> p = new LinkedHashMap<>(), g = new LinkedHashMap<>();
            int i = 0;
            for (long left = params; left > 0; left -= tensor, i++) {
                Shape s = new Shape(Math.min(left, tensor));
                p.put("t" + i, m.randomNormal(0f, 0.02f, s, DataType.FLOAT32));
                g.put("t" + i, m.randomNormal(0f, 1f, s, DataType.FLOAT32).toType(DataType.FLOAT16, false));
            }
            try (AdamW adam = new AdamW(m, p, 0.9, 0.95, 1e-8, 0.1); HostAdamW kernel = new HostAdamW(threads)) {
                double[] old = time(steps, t -> {
                    adam.fusedStep(p, g, t, 1e-4, 1.0 / 65536);
                    for (NDArray w : p.values()) {
                        w.toType(DataType.FLOAT16, true).close();        // the next step's cast of every master
                    }
                });
                refill(g, m);                                          // the old step zeroed them
                double[] fused = time(steps, t -> {
                    adam.onePassStep(p, g, t, 1e-4, 1.0 / 65536);
                    for (NDArray w : p.values()) {
                        w.toType(DataType.FLOAT16, true).close();
                    }
                });
                refill(g, m);
                List<NDArray> moments = adam.momentsView();
                double[] neu = time(steps, t -> {
                    try (NDManager views = m.newSubManager()) {
                        List<HostAdamW.Slot> slots = new ArrayList<>();
                        int k = 0;
                        for (String name : p.keySet()) {
                            List<java.nio.ByteBuffer> pw = HostViews.of(p.get(name), views), mv = HostViews.of(moments.get(2 * k), views),
                                    vv = HostViews.of(moments.get(2 * k + 1), views), gv = HostViews.of(g.get(name), views);
                            for (int piece = 0; piece < pw.size(); piece++) {
                                slots.add(new HostAdamW.Slot(pw.get(piece), mv.get(piece), vv.get(piece), gv.get(piece), true));
                            }
                            k++;
                        }
                        kernel.update(slots, HostAdamW.Hyper.of(new double[] {1e-4f, 0.1f, 1.0f / 65536, 0.9f, 1f - 0.9f,
                                0.95f, 1f - 0.95f, (float) (1e-4 * Math.sqrt(1 - Math.pow(0.95, t)) / (1 - Math.pow(0.9, t))), 1e-8f}));
                    }
                });
                report("old: libtorch _foreach_ AdamW + cast to float16", old, params);
                report("peer: libtorch _fused_adamw_ + cast to float16", fused, params);
                report("new: one-pass HostAdamW (writes float16 weights)", neu, params);
                System.out.printf(Locale.ROOT, "speed-up new vs old: %.2fx on the mean, %.2fx on the fastest step; new vs peer:"
                        + " %.2fx, %.2fx (same run, same %d threads)%n", old[0] / neu[0], old[1] / neu[1], fused[0] / neu[0],
                        fused[1] / neu[1], threads);
            }
        }
    }

    private interface Step {
        void run(int t);
    }

    /** Seconds per step after one untimed warm-up step: [mean, fastest] of {@code steps} steps. */
    private static double[] time(int steps, Step s) {
        s.run(1);
        double total = 0, best = Double.MAX_VALUE;
        for (int t = 2; t <= steps + 1; t++) {
            long t0 = System.nanoTime();
            s.run(t);
            double sec = (System.nanoTime() - t0) / 1e9;
            total += sec;
            best = Math.min(best, sec);
        }
        return new double[] {total / steps, best};
    }

    private static void refill(Map<String, NDArray> g, NDManager m) {
        for (Map.Entry<String, NDArray> e : g.entrySet()) {
            NDArray fresh = m.randomNormal(0f, 1f, e.getValue().getShape(), DataType.FLOAT32).toType(DataType.FLOAT16, false);
            e.getValue().close();
            e.setValue(fresh);
        }
    }

    /** One line: mean and fastest step, the kernel's traffic rate and the 7B extrapolation, both from the mean. */
    private static void report(String what, double[] secs, long params) {
        System.out.printf(Locale.ROOT, "%-50s %8.3f s/step (fastest %.3f)  %6.1f GB/s at %d B/param  %7.2f s per 6.74 B"
                + " params%n", what, secs[0], secs[1], params * (double) BYTES_PER_PARAM / secs[0] / 1e9, BYTES_PER_PARAM,
                secs[0] * LLAMA2_7B / params);
    }
}
