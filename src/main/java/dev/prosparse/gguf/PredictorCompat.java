package dev.prosparse.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.predict.ModelIdentity;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Checks that a predictors folder belongs to the model being exported (the identity recorded in predictors.json), and
 * estimates what sparse inference gains (docs/powerinfer.md, "Predictors belong to one model" and "Expected speed-up").
 */
public final class PredictorCompat {
    /** Below this expected decode speed-up the export warns that sparse inference hardly pays. */
    public static final double WORTHWHILE = 1.5;

    private PredictorCompat() {}

    /** Refuses predictors trained on another model; returns a warning when the folder records no model (or null). */
    public static String checkIdentity(Path model, ModelConfig c, Path predictors, JsonNode json) {
        ModelIdentity recorded = ModelIdentity.fromJson(json);
        if (recorded == null) {
            return "--predictors " + predictors + " records no model identity (written before prosparse recorded one), so"
                    + " nothing checks they were trained on --model " + model + "; retrain them to be sure";
        }
        List<String> diff = recorded.differences(ModelIdentity.of(model, c));
        if (!diff.isEmpty()) {
            throw ProsparseException.usage("--predictors " + predictors + " were trained on " + recorded.path()
                    + ", not on --model " + model + " (" + String.join("; ", diff) + "); train predictors for this model:"
                    + " prosparse predictors train --model " + model);
        }
        return null;
    }

    /**
     * The decode speed-up sparse inference can give at most, from the bytes of weights read per token (decode is
     * memory-bound): dense = L·(attention + 3·E·I) + V·E; sparse = L·attention + Σ_l (3·E·I·(1 − s_l) + r·(E + I)) + V·E,
     * with s_l the held-out predicted sparsity of layer l. NaN when predictors.json has no per-layer figures.
     */
    public static double expectedSpeedup(ModelConfig c, JsonNode json, int rank) {
        JsonNode layers = json.path("layers");
        if (layers.size() != c.numHiddenLayers()) {
            return Double.NaN;
        }
        double e = c.hiddenSize(), i = c.intermediateSize(), kv = (double) c.numKeyValueHeads() * c.headDim();
        double attention = e * (2 * e + 2 * kv), head = (double) c.vocabSize() * e, ffn = 3 * e * i;
        double dense = c.numHiddenLayers() * (attention + ffn) + head, sparse = c.numHiddenLayers() * attention + head;
        for (JsonNode l : layers) {
            if (!l.path("predicted_sparsity").isNumber()) {
                return Double.NaN;
            }
            sparse += ffn * (1 - l.path("predicted_sparsity").asDouble()) + rank * (e + i);
        }
        return dense / sparse;
    }

    /** A warning when the expected speed-up is below {@link #WORTHWHILE}, else null. */
    public static String densityWarning(ModelConfig c, JsonNode json, int rank) {
        double s = expectedSpeedup(c, json, rank);
        if (!(s < WORTHWHILE)) {
            return null;
        }
        double mean = 0;
        for (JsonNode l : json.path("layers")) {
            mean += l.path("predicted_sparsity").asDouble() / json.path("layers").size();
        }
        return String.format(Locale.ROOT, "sparse inference hardly pays for this model: its predictors skip %.1f%% of FFN"
                + " neurons on average, so PowerInfer can be at most %.2fx faster than dense per token (weights read; the"
                + " predictors and the attention and output layers are always read). Train sparser (prosparse train"
                + " --target-sparsity 0.9) or use the dense GGUF", 100 * mean, s);
    }
}
