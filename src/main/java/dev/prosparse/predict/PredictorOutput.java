package dev.prosparse.predict;

import dev.prosparse.util.Plural;
import java.util.Locale;

/** The text table of a predictors run. */
public final class PredictorOutput {
    private PredictorOutput() {}

    /**
     * A timing run (--max-layers): collect and train seconds per layer, their means over the layers after the first
     * (the first also warms up the engine), the extrapolation to every layer, the estimate printed before the work
     * next to what the layers took, and the peak GPU and host memory.
     */
    public static String timing(PredictorRun.Result r) {
        StringBuilder sb = new StringBuilder();
        double[] c = r.collectSeconds(), t = r.trainSeconds();
        int n = c.length;
        double took = 0;
        for (int l = 0; l < n; l++) {
            sb.append(String.format(Locale.ROOT, "layer %d: collect %.1f s + train %.1f s = %.1f s%n", l, c[l], t[l], c[l] + t[l]));
            took += c[l] + t[l];
        }
        int all = dev.prosparse.config.ModelConfig.read(r.request().model()).numHiddenLayers();
        double pc = meanAfterFirst(c), pt = meanAfterFirst(t), per = pc + pt;
        double total = n == 0 ? Double.NaN : c[0] + t[0] + per * (all - 1);
        sb.append(String.format(Locale.ROOT, "timing run: %d of %d layers, %d positions, %d epochs, pairs %s: %.2f min per layer"
                + " (collect %.2f + train %.2f)%s; extrapolated to all %d layers: %.1f min (without loading, tokenizing and"
                + " the perplexity evaluations)%n", n, all, r.trainRows() + r.calibRows() + r.testRows(), r.request().epochs(),
                pairsName(r.pairs()), per / 60, pc / 60, pt / 60, n > 1 ? " (layers after the first)" : "", all, total / 60));
        PredictorEstimate e = r.estimate();
        if (e != null) {
            sb.append(String.format(Locale.ROOT, "estimate before the work: %.1f min for these %d layers, GPU %s, host %.2f GiB;"
                    + " took %.1f min%n", e.seconds() / 60, e.layers(), e.gpu() ? String.format(Locale.ROOT, "%.2f GiB",
                    e.deviceBytes() / 1073741824.0) : "n/a", e.hostBytes() / 1073741824.0, took / 60));
        }
        sb.append(r.peakDeviceBytes() > 0 ? String.format(Locale.ROOT, "peak GPU memory in use (sampled): %.2f GiB%n",
                r.peakDeviceBytes() / 1073741824.0) : "peak GPU memory: n/a (CPU)\n");
        sb.append(r.peakHostBytes() > 0 ? String.format(Locale.ROOT, "peak host memory of this process (VmHWM): %.2f GiB%n",
                r.peakHostBytes() / 1073741824.0) : "peak host memory: unknown (no /proc/self/status)\n");
        return sb.toString();
    }

    /** The mean of v[1..] (v[0] alone when there is one). */
    static double meanAfterFirst(double[] v) {
        if (v.length == 0) {
            return Double.NaN;
        }
        if (v.length == 1) {
            return v[0];
        }
        double s = 0;
        for (int l = 1; l < v.length; l++) {
            s += v[l];
        }
        return s / (v.length - 1);
    }

    static String pairsName(PairStore p) {
        return p == null ? "?" : switch (p) {
            case HOST -> "host float32";
            case TENSOR_FLOAT32 -> "tensors, x float32";
            case TENSOR_FLOAT16 -> "tensors, x float16";
        };
    }

    public static String text(PredictorRun.Result r) {
        PredictorRun.Request q = r.request();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "predictors for %s: rank %d, recall target %.3f, %d train / %d cut / %d report positions of %s%n",
                q.model(), q.rank(), q.recall(), r.trainRows(), r.calibRows(), r.testRows(), q.data().spec()));
        sb.append(String.format(Locale.ROOT, "%5s %11s %9s %9s %10s %10s %10s %6s %10s %12s%n", "layer", "cut", "recall",
                "precision", "pred.sparse", "true.sparse", "scale", "exact", "mismatch", "ppl(l only)"));
        double rs = 0, ps = 0;
        for (PredictorRun.LayerResult l : r.layers()) {
            sb.append(String.format(Locale.ROOT, "%5d %11.4g %9.4f %9.4f %10.2f%% %10.2f%% %10.4g %6s %10d %12.3f%n", l.layer(),
                    l.cut(), l.quality().recall(), l.quality().precision(), 100 * l.quality().predictedSparsity(),
                    100 * l.quality().trueSparsity(), l.scale(), l.exactFold() ? "yes" : "NO", l.foldMismatches(), l.perplexity()));
            rs += l.quality().recall();
            ps += l.quality().predictedSparsity();
        }
        int n = r.layers().size();
        sb.append(String.format(Locale.ROOT, "mean: recall %.4f, predicted sparsity %.2f%%%n", rs / n, 100 * ps / n));
        sb.append("ppl(l only): the perplexity below with only layer l computing only its predicted neurons\n");
        sb.append(String.format(Locale.ROOT, "global threshold %.1f (each layer's cut folded into its fc2 as a scale)%n", r.threshold()));
        sb.append(String.format(Locale.ROOT, "perplexity on %s of %s: dense %.3f, only predicted neurons %.3f (%.2f%% of neurons skipped)%n",
                Plural.of(q.evalWindows(), "window"), q.evalData().spec(), r.densePerplexity(), r.predictedPerplexity(), 100 * r.skippedFraction()));
        sb.append("wrote ").append(r.out()).append('\n');
        return sb.toString();
    }
}
