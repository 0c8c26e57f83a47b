package dev.prosparse.gguf;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.predict.Predictor;
import dev.prosparse.predict.PredictorFiles;
import dev.prosparse.util.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The two sparse comparisons of scripts/check-powerinfer.sh (docs/powerinfer.md, "Why the sparse check can differ"):
 * the export's arithmetic with every neuron computed (no mask can differ: strict), and the logits under the
 * predictors' masks, where the engine takes a few decisions at the threshold the other way (its x differs from ours by
 * F16 rounding): judged per position, so that a handful of flipped neurons pass and other masks do not.
 */
final class SparseComparison {
    /** Under masks: argmax agreement, the share of positions whose max |Δ| reaches 0.1, and the mean |Δ|. */
    static final double MIN_AGREEMENT = 0.99, MAX_OFF_POSITIONS = 0.05, MAX_MEAN = 0.02, OFF = 0.1;

    private SparseComparison() {}

    static boolean compareMasked(Path a, Path b, int vocab) throws IOException {
        float[] x = EngineReference.readFloats(a), y = EngineReference.readFloats(b);
        if (x.length != y.length || x.length % vocab != 0) {
            System.out.println("FAIL: sizes differ: " + x.length + " vs " + y.length);
            return false;
        }
        int rows = x.length / vocab, agree = 0, off = 0;
        double maxAbs = 0, sum = 0;
        for (int r = 0; r < rows; r++) {
            int ax = 0, ay = 0;
            double rowMax = 0;
            for (int v = 0; v < vocab; v++) {
                int i = r * vocab + v;
                double d = Math.abs(x[i] - y[i]);
                rowMax = Math.max(rowMax, d);
                sum += d;
                ax = x[i] > x[r * vocab + ax] ? v : ax;
                ay = y[i] > y[r * vocab + ay] ? v : ay;
            }
            maxAbs = Math.max(maxAbs, rowMax);
            off += rowMax >= OFF ? 1 : 0;
            agree += ax == ay ? 1 : 0;
        }
        double agreement = (double) agree / rows, offShare = (double) off / rows, mean = sum / x.length;
        boolean ok = agreement >= MIN_AGREEMENT && offShare <= MAX_OFF_POSITIONS && mean < MAX_MEAN;
        System.out.printf(Locale.ROOT, "%s: %d positions, argmax agreement %.2f%% (>= 99%% needed), positions with max |delta"
                + " logit| >= 0.1: %d = %.1f%% (<= 5%% needed), mean |delta| %.5f (< 0.02 needed), max |delta| %.4f%n",
                ok ? "MATCH" : "DIFFER", rows, 100 * agreement, off, 100 * offShare, mean, maxAbs);
        return ok;
    }

    /** A copy of a predictors folder whose every score is 0 ≥ τ = −1: the PowerInfer path computes every neuron. */
    static void allNeurons(Path src, Path dst) throws IOException {
        ObjectNode json = (ObjectNode) Json.DOCUMENT.readTree(Files.readString(src.resolve(PredictorFiles.JSON)));
        int layers = json.get("num_hidden_layers").asInt(), e = json.get("hidden_size").asInt(), n = json.get("intermediate_size").asInt();
        List<Predictor> all = new ArrayList<>();
        for (Predictor p : PredictorFiles.read(src, layers, e, n).predictors()) {
            all.add(p.scaled(0f));
        }
        json.put("threshold", -1.0);
        PredictorFiles.write(dst, all, json);
    }
}
