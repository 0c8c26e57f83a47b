package dev.prosparse.sparsity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.data.EvalWindows;
import dev.prosparse.data.TokenStream;
import dev.prosparse.model.CausalLM;
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
 * <p>The FFN is recomputed here with the mask (the model's own FFN has no threshold hook); attention, embedding and
 * head are the model's. Without a mask the loss equals {@link SparsityEvaluator}'s (tested).
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
        ModelConfig config = model.config();
        int layers = config.numHiddenLayers();
        long[] zeros = new long[layers], count = new long[layers];
        double[] absSum = new double[layers];
        double lossSum = 0;
        int t = w.seqLen();
        for (int first = 0; first < w.count(); first += batchSize) {
            int b = Math.min(batchSize, w.count() - first);
            long[] ids = new long[b * (t + 1)];
            for (int i = 0; i < b; i++) {
                System.arraycopy(stream.window(w.start(first + i), t + 1), 0, ids, i * (t + 1), t + 1);
            }
            try (NDManager scope = parent.newSubManager()) {
                NDArray[] io = CausalLM.splitWindow(Torch.fromLongs(scope, ids, new Shape(b, t + 1)));   // [b, T], [b, T]
                CausalLM.Positions pos = model.positions(io[0]);
                NDArray h = model.embed(io[0]);                                                          // [b, T, E]
                for (int l = 0; l < layers; l++) {
                    NDArray a = model.attentionBlock(h, l, pos);                                         // [b, T, E]
                    NDArray x1 = maskedX1(a, l, thresholds == null ? null : thresholds[l], method, sink);    // [b, T, I]
                    CausalLM.LayerStats s = CausalLM.stats(x1);
                    zeros[l] += s.zeros();
                    count[l] += s.count();
                    absSum[l] += s.absSum();
                    NDArray ffn = linear(x1, model.weights().get("model.layers." + l + ".mlp.down_proj.weight"));  // [b, T, E]
                    h = a.add(config.isMiniCpm() ? ffn.mul(Torch.scalar(scope, config.residualScale())) : ffn);
                }
                lossSum += CausalLM.crossEntropy(model.head(h), io[1]).getFloat() * (double) b;
            }
        }
        return new SparsityResult(lossSum / w.count(), w.tokens(), zeros, count, absSum);
    }

    /** σ(gate)⊙up of layer l for the FFN input residual a [b, T, E], zeroed where the method's magnitude < threshold. */
    private NDArray maskedX1(NDArray a, int l, Double threshold, Method method, Sink sink) {
        String p = "model.layers." + l + ".";
        NDArray x = rmsNorm(a, model.weights().get(p + "post_attention_layernorm.weight"));             // [b, T, E]
        NDArray gate = linear(x, model.weights().get(p + "mlp.gate_proj.weight"));                      // [b, T, I]
        NDArray up = linear(x, model.weights().get(p + "mlp.up_proj.weight"));                          // [b, T, I]
        NDArray x1 = model.activation().apply(gate, up, model.activationParam());                       // [b, T, I]
        if (threshold == null && sink == null) {
            return x1;
        }
        NDArray mag = (method == Method.X1 ? x1
                : model.activation().apply(gate, up.onesLike(), model.activationParam())).abs();         // [b, T, I]
        if (sink != null) {
            sink.accept(l, mag.toFloatArray());
        }
        if (threshold == null) {
            return x1;
        }
        NDArray keep = mag.gte(Torch.scalar(a.getManager(), threshold)).toType(DataType.FLOAT32, false);
        return x1.mul(keep);
    }

    /** x / sqrt(mean(x², −1) + eps) · w: the model's RMSNorm, as in CausalLM. */
    private NDArray rmsNorm(NDArray x, NDArray w) {
        NDArray eps = Torch.scalar(x.getManager(), model.config().rmsNormEps());
        NDArray rms = x.square().mean(new int[] {2}, true).add(eps).sqrt();                              // [b, T, 1]
        return x.div(rms).mul(w);
    }

    private static NDArray linear(NDArray x, NDArray w) {
        return x.getNDArrayInternal().linear(x, w, null).singletonOrThrow();
    }
}
