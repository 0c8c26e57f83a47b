package dev.prosparse.bench;

import dev.prosparse.util.RelativeError;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.util.Torch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * {@code bench ffn}: one FFN block with random float32 weights of a given shape, timed dense and sparse at given
 * activation sparsities, batch 1 (decode) and a batch of tokens (prefill). See docs/sparse-ffn.md for the
 * variants and how each mask is realised.
 */
public final class FfnBench {

    /**
     * @param sparsity       per-layer (or a single) fraction of inactive neurons, each in [0, 1)
     * @param sparsitySource where the rates came from ("--sparsity 0.9", a checkpoint's report)
     * @param prefillTokens  tokens in the prefill batch (0: no prefill rows)
     */
    public record Request(FfnShape shape, double[] sparsity, String sparsitySource, int rank, int prefillTokens,
            int reps, int warmup, int threads, long seed) {}

    /** One timed variant at one sparsity. relErr: ‖y − y_dense‖/‖y_dense‖ (NaN when the masks are drawn, not the model's). */
    public record Row(String phase, int layer, double sparsity, String variant, Timing timing, int active, double relErr) {}

    /** @param kernels the row kernels the Java variants ran on ({@link RowKernels#name()}) */
    public record Report(String machine, String environment, int threads, String kernels, Request request, List<Row> rows) {}

    private final Request req;
    private final int e, n, r;
    private final SplittableRandom rnd;
    private final float[] wg, wu, wdt, fc1, fc2;
    private final List<Row> rows = new ArrayList<>();

    private FfnBench(Request req) {
        this.req = req;
        this.e = req.shape().hidden();
        this.n = req.shape().intermediate();
        this.r = req.rank();
        this.rnd = new SplittableRandom(req.seed());
        this.wg = uniform((long) n * e, 1 / Math.sqrt(e));
        this.wu = uniform((long) n * e, 1 / Math.sqrt(e));
        this.wdt = uniform((long) n * e, 1 / Math.sqrt(n));
        this.fc1 = uniform((long) r * e, 1 / Math.sqrt(e));
        this.fc2 = uniform((long) n * r, 1 / Math.sqrt(r));
    }

    /**
     * Runs on {@link Torch#device()}: on the CPU every variant; on a GPU the libtorch ones only (the row kernels are
     * CPU code), with the arrays on the GPU and each call's result read back (which waits for the GPU).
     */
    public static Report run(Request req) {
        String environment = Machine.environment();
        Torch.start(req.threads());
        ai.djl.Device device = Torch.device();
        FfnBench b = new FfnBench(req);
        if (device.isGpu()) {
            try (NDManager root = NDManager.newBaseManager(device)) {
                b.runAll(root, null);
            }
            return new Report(Machine.describe() + "; GPU " + dev.prosparse.device.DeviceSetup.describe(device), environment,
                    req.threads(), "none (on the GPU only the libtorch variants run)", req, b.rows);
        }
        RowKernels kernels = RowKernels.best();
        try (NDManager root = NDManager.newBaseManager(device); Workers workers = new Workers(req.threads())) {
            b.runAll(root, new JavaFfn(workers, kernels, b.e, b.n, b.r, JavaFfn.CHUNK_FLOATS));
        }
        return new Report(Machine.describe(), environment, req.threads(), kernels.name(), req, b.rows);
    }

    /** @param java the row kernels, or null (on a GPU): libtorch variants only */
    private void runAll(NDManager root, JavaFfn java) {
        NDArray tWu = Torch.fromFloats(root, wu, new Shape(n, e));
        NDArray tWdt = Torch.fromFloats(root, wdt, new Shape(n, e));
        NDArray tWd = Torch.fromFloats(root, transpose(wdt, n, e), new Shape(e, n));
        NDArray tFc1 = Torch.fromFloats(root, fc1, new Shape(r, e));
        float[] x = uniform(e, 1.0);
        if (java != null) {
            warmUpJit(java, x);
        }
        for (int layer = 0; layer < req.sparsity().length; layer++) {
            double s = req.sparsity()[layer];
            boolean[] mask = drawMask(s);
            // Realise the mask on this x exactly: flip the sign of the gate rows (and predictor rows) that disagree.
            alignSigns(wg, e, x, mask);
            alignSigns(fc2, r, relu(gemv(fc1, e, x, r)), mask);
            try (NDManager m = root.newSubManager()) {
                NDArray tWg = Torch.fromFloats(m, wg, new Shape(n, e));
                NDArray tFc2 = Torch.fromFloats(m, fc2, new Shape(n, r));
                NDArray tx = Torch.fromFloats(m, x, new Shape(1, e));
                NDArray zero = Torch.scalar(m, 0);
                float[] ref = TorchTime.floats(TorchFfn.dense(tx, tWg, tWu, tWd));
                int k = count(mask);
                float[] y = new float[e];
                List<Variant> vs = new ArrayList<>();
                vs.add(new Variant("dense (libtorch)", n, sc -> TorchTime.floats(TorchFfn.dense(TorchTime.in(sc, tx), tWg, tWu, tWd))));
                if (java != null) {
                    vs.add(new Variant("dense (row kernels)", n, sc -> { java.dense(x, wg, wu, wdt, y); return y; }));
                }
                vs.add(new Variant("exact (libtorch gather)", k,
                        sc -> TorchTime.floats(TorchFfn.exact(TorchTime.in(sc, tx), tWg, tWu, tWdt, zero))));
                if (java != null) {
                    vs.add(new Variant("exact (row kernels)", k, sc -> { java.exact(x, wg, wu, wdt, y); return y; }));
                    vs.add(new Variant("exact (libtorch gate+rows)", k, sc -> {
                        java.exactGivenGate(TorchTime.floats(TorchFfn.linear(TorchTime.in(sc, tx), tWg)), x, wu, wdt, y);
                        return y;
                    }));
                }
                vs.add(new Variant("predictor (libtorch gather)", k,
                        sc -> TorchTime.floats(TorchFfn.predicted(TorchTime.in(sc, tx), tFc1, tFc2, zero, tWg, tWu, tWdt))));
                if (java != null) {
                    vs.add(new Variant("predictor (row kernels)", k, sc -> { java.predicted(x, fc1, fc2, r, 0f, wg, wu, wdt, y); return y; }));
                    vs.add(new Variant("predictor (libtorch pred+rows)", k, sc -> {
                        NDArray hid = TorchFfn.linear(TorchTime.in(sc, tx), tFc1).getNDArrayInternal().relu();
                        java.predictedGivenScores(TorchTime.floats(TorchFfn.linear(hid, tFc2)), 0f, x, wg, wu, wdt, y);
                        return y;
                    }));
                }
                decode(layer, s, vs, ref, m);
                if (req.prefillTokens() > 0) {
                    prefill(m, layer, s, tWg, tWu, tWd, tWdt, tFc1, tFc2);
                }
            }
        }
    }

    /**
     * Runs every Java variant {@value #JIT_WARMUP} times before anything is timed, so that the first layer's rows do not
     * time HotSpot compiling the kernels (Vector API code is slow until C2 has compiled it, and the compiler threads
     * share the two cores with the bench).
     */
    private void warmUpJit(JavaFfn java, float[] x) {
        float[] y = new float[e];
        for (int i = 0; i < JIT_WARMUP; i++) {
            java.dense(x, wg, wu, wdt, y);
            java.exact(x, wg, wu, wdt, y);
            java.predicted(x, fc1, fc2, r, 0f, wg, wu, wdt, y);
        }
    }

    private static final int JIT_WARMUP = 20;

    /** One batch-1 variant: its name, the neurons it computes, one call. */
    private record Variant(String name, int active, Function<NDManager, float[]> body) {}

    /**
     * Times the decode variants interleaved ({@link TorchTime#timeInterleaved}), then checks each one's output against
     * the dense reference; the scratch arrays each call makes are freed with a per-call manager.
     */
    private void decode(int layer, double s, List<Variant> vs, float[] ref, NDManager parent) {
        List<Function<NDManager, float[]>> bodies = new ArrayList<>();
        vs.forEach(v -> bodies.add(v.body()));
        Timing[] t = TorchTime.timeInterleaved(parent, req.warmup(), req.reps(), bodies);
        for (int i = 0; i < vs.size(); i++) {
            float[] y = TorchTime.scoped(parent, vs.get(i).body());
            rows.add(new Row("decode", layer, s, vs.get(i).name(), t[i], vs.get(i).active(), RelativeError.of(y, ref)));
        }
    }

    /**
     * Prefill: T random tokens, each token's mask drawn at rate s by a per-token threshold on the gate (exact) or
     * on the predictor output (predictor); the sparse variants work on the union of the tokens' active neurons.
     */
    private void prefill(NDManager m, int layer, double s, NDArray tWg, NDArray tWu, NDArray tWd, NDArray tWdt,
            NDArray tFc1, NDArray tFc2) {
        int t = req.prefillTokens();
        NDArray tx = Torch.fromFloats(m, uniform((long) t * e, 1.0), new Shape(t, e));
        NDArray gateT = rowQuantiles(TorchFfn.linear(tx, tWg), t, s, m);
        NDArray scores = TorchFfn.linear(TorchFfn.linear(tx, tFc1).getNDArrayInternal().relu(), tFc2);
        NDArray tauT = rowQuantiles(scores, t, s, m);
        int unionExact = (int) TorchFfn.anyToken(TorchFfn.linear(tx, tWg).gt(gateT)).countNonzero().getLong();
        int unionPred = (int) TorchFfn.anyToken(scores.gte(tauT)).countNonzero().getLong();
        prefillRow(m, layer, s, "dense (libtorch)", n, sc -> TorchFfn.dense(TorchTime.in(sc, tx), tWg, tWu, tWd));
        prefillRow(m, layer, s, "exact (libtorch gather)", unionExact, sc -> TorchFfn.exact(TorchTime.in(sc, tx), tWg, tWu, tWdt, gateT));
        prefillRow(m, layer, s, "predictor (libtorch gather)", unionPred,
                sc -> TorchFfn.predicted(TorchTime.in(sc, tx), tFc1, tFc2, tauT, tWg, tWu, tWdt));
    }

    private void prefillRow(NDManager m, int layer, double s, String variant, int active, Function<NDManager, NDArray> body) {
        Timing ms = TorchTime.time(m, Math.max(1, req.warmup() / 2), Math.max(3, req.reps() / 2),
                sc -> TorchTime.floats(body.apply(sc)));
        rows.add(new Row("prefill", layer, s, variant, ms, active, Double.NaN));
    }

    /** Per row of a [T, I] array, the value above which a fraction 1 − s of the row lies → [T, 1]. */
    private NDArray rowQuantiles(NDArray a, int t, double s, NDManager m) {
        float[] v = a.toFloatArray();
        float[] q = new float[t];
        int keep = Math.max(1, (int) Math.round((1 - s) * n));
        for (int i = 0; i < t; i++) {
            float[] row = Arrays.copyOfRange(v, i * n, (i + 1) * n);
            Arrays.sort(row);
            q[i] = keep >= n ? Float.NEGATIVE_INFINITY : row[n - keep - 1];
        }
        return Torch.fromFloats(m, q, new Shape(t, 1));
    }

    /** Exactly round((1 − s)·I) active neurons at random positions. */
    private boolean[] drawMask(double s) {
        int k = (int) Math.round((1 - s) * n);
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        boolean[] mask = new boolean[n];
        for (int i = 0; i < k; i++) {
            int j = i + rnd.nextInt(n - i);
            int tmp = perm[i];
            perm[i] = perm[j];
            perm[j] = tmp;
            mask[perm[i]] = true;
        }
        return mask;
    }

    /** Negates the rows j of w [I, cols] whose w_j·v sign disagrees with mask_j, so that (w·v)_j &gt; 0 ⟺ mask_j. */
    static void alignSigns(float[] w, int cols, float[] v, boolean[] mask) {
        for (int j = 0; j < mask.length; j++) {
            float d = ScalarRowKernels.dot(w, j * cols, cols, v);
            if ((d > 0) != mask[j]) {
                for (int c = 0; c < cols; c++) {
                    w[j * cols + c] = -w[j * cols + c];
                }
            }
        }
    }

    private static float[] gemv(float[] w, int cols, float[] v, int rowsN) {
        float[] out = new float[rowsN];
        new ScalarRowKernels().gemvRows(w, cols, v, 0, rowsN, out);
        return out;
    }

    private static float[] relu(float[] v) {
        for (int i = 0; i < v.length; i++) {
            v[i] = Math.max(v[i], 0f);
        }
        return v;
    }

    private static int count(boolean[] mask) {
        int k = 0;
        for (boolean b : mask) {
            k += b ? 1 : 0;
        }
        return k;
    }

    static float[] transpose(float[] a, int rowsN, int cols) {
        float[] t = new float[a.length];
        for (int i = 0; i < rowsN; i++) {
            for (int j = 0; j < cols; j++) {
                t[j * rowsN + i] = a[i * cols + j];
            }
        }
        return t;
    }


    private float[] uniform(long size, double scale) {
        float[] a = new float[Math.toIntExact(size)];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }
}
