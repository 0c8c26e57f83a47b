package dev.prosparse.predict;

import dev.prosparse.util.Plural;
import java.util.Locale;

/** The text table of a predictors run. */
public final class PredictorOutput {
    private PredictorOutput() {}

    /** A timing run (--max-layers): seconds per layer, their mean, the extrapolation to every layer, peak GPU memory. */
    public static String timing(PredictorRun.Result r) {
        StringBuilder sb = new StringBuilder();
        double sum = 0;
        for (int l = 0; l < r.layerSeconds().length; l++) {
            sb.append(String.format(Locale.ROOT, "layer %d: %.1f s (collect + train)%n", l, r.layerSeconds()[l]));
            sum += r.layerSeconds()[l];
        }
        int n = r.layerSeconds().length;
        int all = dev.prosparse.config.ModelConfig.read(r.request().model()).numHiddenLayers();
        double perLayer = n > 1 ? (sum - r.layerSeconds()[0]) / (n - 1) : sum;   // layer 0 includes warm-up
        sb.append(String.format(Locale.ROOT, "timing run: %d of %d layers, %d positions, %d epochs: %.2f min per layer%s;"
                + " extrapolated to all %d layers: %.1f min (without the perplexity evaluations)%n", n, all,
                r.trainRows() + r.calibRows() + r.testRows(), r.request().epochs(), perLayer / 60,
                n > 1 ? " (layers after the first)" : "", all, (r.layerSeconds()[0] + perLayer * (all - 1)) / 60));
        sb.append(r.peakDeviceBytes() > 0 ? String.format(Locale.ROOT, "peak GPU memory in use (sampled): %.2f GiB%n",
                r.peakDeviceBytes() / 1073741824.0) : "peak GPU memory: n/a (CPU)\n");
        return sb.toString();
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
