package dev.prosparse.sparsity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.data.EvalWindows;
import dev.prosparse.data.TokenStream;
import dev.prosparse.data.WindowBatch;
import dev.prosparse.data.WindowBatches;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.LayerHooks;
import dev.prosparse.model.LayerWalk;
import dev.prosparse.util.Torch;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Training-free activation sparsity (docs/training-free.md): zero x1 entries whose magnitude falls below a per-layer
 * threshold and measure what that costs in perplexity.
 * <ul>
 *   <li>{@link Method#X1}: the "PPL-p% sparsity" of the Sparsing Law paper — threshold |x1| (the input of down_proj).</li>
 *   <li>{@link Method#CATS}: CATS — threshold |σ(gate)| and zero x1 where it is below.</li>
 * </ul>
 * Per-layer thresholds are the q-quantiles of each layer's magnitudes on calibration windows, for one level q shared by
 * all layers; {@link #search} finds the largest q whose perplexity stays within the budget by bisection.
 *
 * <p>The mask is an FFN override of the model's one layer walk (docs/layer-walk.md). Without a mask the loss equals
 * {@link SparsityEvaluator}'s (tested).
 */
public final class TrainingFree {
    /** Which magnitude the thresholds apply to. */
    public enum Method {
        X1("|x1| threshold (PPL-p%)"), CATS("CATS |σ(gate)| threshold");

        public final String label;

        Method(String label) {
            this.label = label;
        }
    }

    /** The outcome of a search: level q, per-layer thresholds, and the evaluation with them. */
    public record Found(Method method, double level, double[] thresholds, SparsityResult result) {}

    static final int SAMPLE_PER_LAYER = 1 << 20;
    static final int BISECTIONS = 7;

    private final CausalLM model;
    private final NDManager parent;
    private final TokenStream stream;
    private final EvalWindows windows;
    private final int batchSize;

    public TrainingFree(CausalLM model, NDManager parent, TokenStream stream, EvalWindows windows, int batchSize) {
        this.model = model;
        this.parent = parent;
        this.stream = stream;
        this.windows = windows;
        this.batchSize = batchSize;
    }

    /**
     * The largest level q in [0, 1) (to 1/2^7) whose thresholds keep perplexity ≤ (1 + budget) × the unthresholded
     * perplexity, with q = 0 (nothing extra zeroed) when even the smallest step breaks the budget.
     */
    public Found search(Method method, double budget, SparsityResult unthresholded, int calibrationWindows) {
        float[][] sorted = magnitudes(method, calibrationWindows);
        double limit = unthresholded.perplexity() * (1 + budget);
        double natural = unthresholded.zeroFraction();
        Found best = new Found(method, 0, new double[sorted.length], unthresholded);
        double lo = natural, hi = 1;   // below the natural zero fraction a quantile threshold is 0 and changes nothing
        for (int i = 0; i < BISECTIONS; i++) {
            double q = (lo + hi) / 2;
            double[] th = thresholds(sorted, q);
            SparsityResult r = evaluate(method, th);
            if (r.perplexity() <= limit) {
                best = new Found(method, q, th, r);
                lo = q;
            } else {
                hi = q;
            }
        }
        return best;
    }

    /** Per-layer thresholds: the q-quantile of each layer's sorted magnitudes. */
    static double[] thresholds(float[][] sorted, double q) {
        double[] th = new double[sorted.length];
        for (int l = 0; l < sorted.length; l++) {
            int k = (int) Math.min(sorted[l].length - 1, Math.floor(q * sorted[l].length));
            th[l] = sorted[l][k];
        }
        return th;
    }

    /** The first {@code n} windows' magnitudes (|x1| or |σ(gate)|) per layer, sampled to ≤ 2^20 each, sorted. */
    float[][] magnitudes(Method method, int n) {
        int layers = model.config().numHiddenLayers();
        float[][] all = new float[layers][];
        int[] fill = new int[layers];
        EvalWindows w = new EvalWindows(Math.min(n, windows.count()), windows.seqLen(), windows.stride());
        long perLayer = (long) w.count() * w.seqLen() * model.config().intermediateSize();
        double keep = Math.min(1.0, (double) SAMPLE_PER_LAYER / perLayer);
        SplittableRandom rng = new SplittableRandom(20241102);
        for (int l = 0; l < layers; l++) {
            all[l] = new float[(int) Math.min(perLayer, SAMPLE_PER_LAYER + 4096L)];
        }
        run(w, null, method, (l, mag) -> {
            for (float v : mag) {
                if ((keep >= 1 || rng.nextDouble() < keep) && fill[l] < all[l].length) {
                    all[l][fill[l]++] = v;
                }
            }
        });
        for (int l = 0; l < layers; l++) {
            all[l] = Arrays.copyOf(all[l], fill[l]);
            Arrays.sort(all[l]);
        }
        return all;
    }

    /** Loss and per-layer zeros on all windows with x1 zeroed where the method's magnitude is below the layer's threshold. */
    public SparsityResult evaluate(Method method, double[] thresholds) {
        return run(windows, thresholds, method, null);
    }

    private interface Sink {
        void accept(int layer, float[] magnitudes);
    }

    private SparsityResult run(EvalWindows w, double[] thresholds, Method method, Sink sink) {
        LayerTotals totals = new LayerTotals(model.config().numHiddenLayers());
        LayerHooks hooks = new LayerHooks(thresholds == null && sink == null ? null
                : (l, ffn) -> maskedX1(ffn, thresholds == null ? null : thresholds[l], method, sink, l), totals);
        double lossSum = 0;
        for (WindowBatch wb : WindowBatches.of(stream, w, batchSize)) {
            try (NDManager scope = parent.newSubManager()) {
                NDArray[] io = CausalLM.splitWindow(Torch.fromLongs(scope, wb.ids(), new Shape(wb.count(), wb.length())));
                NDArray h = LayerWalk.run(model, io[0], LayerWalk.Scopes.PER_LAYER, hooks);            // [b, T, E]
                lossSum += CausalLM.crossEntropy(model.head(h), io[1]).getFloat() * (double) wb.count();
            }
        }
        return totals.result(lossSum / w.count(), w.tokens());
    }

    /** Layer l's x1 [b, T, I] zeroed where the method's magnitude is below the threshold; magnitudes go to the sink. */
    private NDArray maskedX1(LayerHooks.Ffn ffn, Double threshold, Method method, Sink sink, int l) {
        NDArray x1 = ffn.x1();                                                                           // [b, T, I]
        NDArray mag = (method == Method.X1 ? x1
                : model.activation().apply(ffn.gate(), ffn.up().onesLike(), model.activationParam())).abs();  // [b, T, I]
        if (sink != null) {
            sink.accept(l, mag.toFloatArray());
        }
        if (threshold == null) {
            return x1;
        }
        NDArray keep = mag.gte(Torch.scalar(x1.getManager(), threshold)).toType(DataType.FLOAT32, false);
        return x1.mul(keep);
    }
}
