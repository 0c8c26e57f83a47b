package dev.prosparse.optim;

import dev.prosparse.io.FloatCodec;

import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.ShortBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The AdamW update of {@link AdamW} as one pass over host memory, on a pool of Java threads (optimizer offload,
 * docs/gpu.md "Optimizer offload"). Per element it reads the float32 weight, both float32 moments and the gradient
 * (float16 or float32), and writes the weight, the moments and — over the gradient, which is not needed again — the
 * new weight in the gradient's dtype: the next step's compute copy. That is 28 bytes of memory traffic per parameter
 * with float16 gradients, against about 150 for libtorch's chain of {@code _foreach_*} passes on the CPU.
 *
 * <p>The arithmetic is float32, in the order of the multi-tensor module ({@link OptimizerModules}):
 * <pre>
 *   p ← p − (p·lr)·wd            (only when wd ≠ 0)
 *   g ← g·gradScale
 *   m ← fma(g, 1−β1, m·β1)        libtorch's vectorised add with alpha is one fused multiply-add
 *   v ← fma((1−β2)·g, g, v·β2)    so is its vectorised addcmul
 *   p ← p − (m·lrCorrected) / (√v + ε)
 * </pre>
 * Each line rounds where libtorch's CPU ops round, and m and v come out bit-identical to libtorch 2.7.1's on x86-64.
 * The weight may not: libtorch's CPU float32 square root is not correctly rounded (about one value in six is one ulp
 * off), while {@code Math.sqrt} of a float widened to double and rounded back is; so the weight differs from
 * libtorch's by about one ulp of the update per step. Against the formula in exact arithmetic m is within 2 ulps of
 * its larger term, v within 3, and the weight within 8 ulps of the larger of p and the update plus m's error times
 * lrCorrected / (√v + ε) (docs/gpu.md, "Optimizer offload").
 */
public final class HostAdamW implements AutoCloseable {
    /** Elements per task: 1 MiB of float32 weights, large enough to stream, small enough to balance. */
    static final int RANGE = 1 << 18;

    /**
     * The float32 hyper-parameters of one step: h of {@link OptimizerModules}, in its order.
     */
    public record Hyper(float lr, float weightDecay, float gradScale, float beta1, float oneMinusBeta1, float beta2,
            float oneMinusBeta2, float lrCorrected, float eps) {
        public static Hyper of(double[] h) {
            return new Hyper((float) h[0], (float) h[1], (float) h[2], (float) h[3], (float) h[4], (float) h[5],
                    (float) h[6], (float) h[7], (float) h[8]);
        }
    }

    /**
     * One tensor's memory: weight, moments (float32) and the gradient, float16 ({@code halfGrad}) or float32, all
     * native byte order and of one element count. The gradient buffer receives the new compute weight.
     */
    public record Slot(ByteBuffer p, ByteBuffer m, ByteBuffer v, ByteBuffer grad, boolean halfGrad) {
        public Slot {
            int n = p.capacity() / 4;
            if (m.capacity() / 4 != n || v.capacity() / 4 != n || grad.capacity() / (halfGrad ? 2 : 4) != n) {
                throw new IllegalArgumentException("AdamW slot of " + n + " weights has moments of " + m.capacity() / 4
                        + " and " + v.capacity() / 4 + " and a gradient of " + grad.capacity() / (halfGrad ? 2 : 4));
            }
        }

        int size() {
            return p.capacity() / 4;
        }
    }

    private final int threads;
    private final ExecutorService pool;

    /** @param threads worker threads (≥ 1) */
    public HostAdamW(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("host AdamW threads must be ≥ 1, got " + threads);
        }
        this.threads = threads;
        this.pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "prosparse-host-adamw");
            t.setDaemon(true);
            return t;
        });
    }

    public int threads() {
        return threads;
    }

    /** Updates every slot in place, split into ranges of {@link #RANGE} elements over the threads; returns when done. */
    public void update(List<Slot> slots, Hyper h) {
        List<Future<?>> tasks = new ArrayList<>();
        for (Slot s : slots) {
            int n = s.size();
            for (int from = 0; from < n; from += RANGE) {
                int a = from, b = Math.min(n, from + RANGE);
                tasks.add(pool.submit(() -> range(s, a, b, h)));
            }
        }
        RuntimeException failure = null;
        for (Future<?> f : tasks) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = new IllegalStateException("interrupted during the host AdamW update", e);
            } catch (ExecutionException e) {
                failure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Elements per block: the loop's working set (4 float arrays and a short array, 36 KiB) stays in L1/L2. */
    static final int BLOCK = 2048;

    /**
     * Elements [from, to) of one slot, block by block: each block is copied out of native memory into Java arrays
     * (bulk copies), updated by a plain array loop that the JIT compiles to SIMD instructions (the per-element
     * arithmetic is the same, so the results are too), and copied back; the float16 conversions stay scalar. This runs
     * about 1.8× faster per core than the same loop on the buffers directly.
     */
    static void range(Slot s, int from, int to, Hyper h) {
        FloatBuffer p = s.p().asFloatBuffer(), m = s.m().asFloatBuffer(), v = s.v().asFloatBuffer();
        ShortBuffer gh = s.halfGrad() ? s.grad().asShortBuffer() : null;
        FloatBuffer gf = s.halfGrad() ? null : s.grad().asFloatBuffer();
        float[] pa = new float[BLOCK], ma = new float[BLOCK], va = new float[BLOCK], ga = new float[BLOCK];
        short[] ha = gh != null ? new short[BLOCK] : null;
        for (int at = from; at < to; at += BLOCK) {
            int n = Math.min(BLOCK, to - at);
            p.get(at, pa, 0, n);
            m.get(at, ma, 0, n);
            v.get(at, va, 0, n);
            if (gh != null) {
                gh.get(at, ha, 0, n);
                for (int i = 0; i < n; i++) {
                    ga[i] = FloatCodec.f16ToFloat(ha[i]);
                }
            } else {
                gf.get(at, ga, 0, n);
            }
            block(pa, ma, va, ga, n, h);
            p.put(at, pa, 0, n);
            m.put(at, ma, 0, n);
            v.put(at, va, 0, n);
            if (gh != null) {
                for (int i = 0; i < n; i++) {
                    ha[i] = FloatCodec.floatToF16(pa[i]);
                }
                gh.put(at, ha, 0, n);
            } else {
                gf.put(at, pa, 0, n);
            }
        }
    }

    /** The update of n elements in place (g: the raw gradient, as float32). */
    private static void block(float[] p, float[] m, float[] v, float[] g, int n, Hyper h) {
        float lr = h.lr(), wd = h.weightDecay(), gs = h.gradScale(), b1 = h.beta1(), c1 = h.oneMinusBeta1(),
                b2 = h.beta2(), c2 = h.oneMinusBeta2(), lrc = h.lrCorrected(), eps = h.eps();
        if (wd != 0f) {
            for (int i = 0; i < n; i++) {
                float d = p[i] * lr;
                d = d * wd;
                p[i] = p[i] - d;
            }
        }
        for (int i = 0; i < n; i++) {
            float gi = g[i] * gs;
            float mi = Math.fma(gi, c1, m[i] * b1);
            float vi = Math.fma(c2 * gi, gi, v[i] * b2);
            float den = (float) Math.sqrt(vi) + eps;
            float num = mi * lrc;
            p[i] = p[i] - num / den;
            m[i] = mi;
            v[i] = vi;
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
