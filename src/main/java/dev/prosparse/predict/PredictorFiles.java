package dev.prosparse.predict;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.io.DType;
import dev.prosparse.io.SafetensorsFile;
import dev.prosparse.io.SafetensorsWriter;
import dev.prosparse.util.AtomicFiles;
import dev.prosparse.util.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A predictors folder: {@code model.safetensors} with {@code model.layers.N.mlp.predictor.fc1.weight} [r, E] and
 * {@code ...fc2.weight} [I, r] (float32, fc2 already folded: neuron j is computed iff its output ≥
 * {@code threshold}), and {@code predictors.json} (threshold, per-layer cuts and scales, held-out quality,
 * perplexities, provenance). The JSON is written last: a folder without it is incomplete.
 */
public final class PredictorFiles {
    public static final String WEIGHTS = "model.safetensors";
    public static final String JSON = "predictors.json";
    public static final int FORMAT_VERSION = 1;

    private PredictorFiles() {}

    public static String fc1Name(int layer) {
        return "model.layers." + layer + ".mlp.predictor.fc1.weight";
    }

    public static String fc2Name(int layer) {
        return "model.layers." + layer + ".mlp.predictor.fc2.weight";
    }

    public static void write(Path dir, List<Predictor> folded, ObjectNode json) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw ProsparseException.io("Could not create " + dir + ": " + e.getMessage(), e);
        }
        List<SafetensorsWriter.TensorSource> ts = new ArrayList<>();
        for (int l = 0; l < folded.size(); l++) {
            Predictor p = folded.get(l);
            ts.add(SafetensorsWriter.TensorSource.ofFloats(fc1Name(l), DType.F32, new long[] {p.rank(), p.hidden()}, p.fc1()));
            ts.add(SafetensorsWriter.TensorSource.ofFloats(fc2Name(l), DType.F32, new long[] {p.intermediate(), p.rank()}, p.fc2()));
        }
        SafetensorsWriter.write(dir.resolve(WEIGHTS), Map.of("format", "pt"), ts);
        try {
            AtomicFiles.writeString(dir.resolve(JSON), Json.PRETTY.writeValueAsString(json) + "\n");
        } catch (IOException e) {
            throw ProsparseException.io("Could not write " + dir.resolve(JSON) + ": " + e.getMessage(), e);
        }
    }

    /** A predictors folder read back: the folded predictors and the global threshold. */
    public record Loaded(List<Predictor> predictors, float threshold, JsonNode json) {}

    public static Loaded read(Path dir, int layers, int hidden, int intermediate) {
        Path jf = dir.resolve(JSON);
        if (!Files.isRegularFile(jf) || !Files.isRegularFile(dir.resolve(WEIGHTS))) {
            throw ProsparseException.usage("--predictors " + dir + ": expected " + JSON + " and " + WEIGHTS
                    + " (written by 'prosparse predictors train'); the folder holds: " + dev.prosparse.util.Listing.list(dir));
        }
        JsonNode json;
        try {
            json = Json.DOCUMENT.readTree(Files.readString(jf));
        } catch (IOException e) {
            throw ProsparseException.checkpoint(jf + ": not valid JSON (" + e.getMessage() + ")");
        }
        if (json.path("format_version").asInt(-1) != FORMAT_VERSION || !json.path("threshold").isNumber()) {
            throw ProsparseException.checkpoint(jf + ": expected format_version " + FORMAT_VERSION + " and a numeric threshold");
        }
        checkShape(jf, json, layers, hidden, intermediate);
        List<Predictor> ps = new ArrayList<>();
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve(WEIGHTS))) {
            if (f.find(fc1Name(layers)).isPresent()) {
                throw ProsparseException.checkpoint(dir.resolve(WEIGHTS) + ": has predictors for more than " + layers
                        + " layers; they were trained on another model: train predictors for this one");
            }
            for (int l = 0; l < layers; l++) {
                if (f.find(fc1Name(l)).isEmpty() || f.find(fc2Name(l)).isEmpty()) {
                    throw ProsparseException.checkpoint(dir.resolve(WEIGHTS) + ": tensor " + fc1Name(l) + " or " + fc2Name(l)
                            + " is missing; the predictors do not match a " + layers + "-layer model");
                }
                long[] s1 = f.info(fc1Name(l)).shape(), s2 = f.info(fc2Name(l)).shape();
                if (s1.length != 2 || s2.length != 2 || s1[1] != hidden || s2[0] != intermediate || s2[1] != s1[0]) {
                    throw ProsparseException.checkpoint(dir.resolve(WEIGHTS) + ": layer " + l + " predictor shapes fc1 "
                            + java.util.Arrays.toString(s1) + ", fc2 " + java.util.Arrays.toString(s2) + " do not fit hidden "
                            + hidden + " / intermediate " + intermediate + " (expected fc1 [r, " + hidden + "], fc2 ["
                            + intermediate + ", r])");
                }
                ps.add(new Predictor((int) s1[0], hidden, intermediate, f.readFloat32(fc1Name(l)), f.readFloat32(fc2Name(l))));
            }
        }
        return new Loaded(ps, (float) json.get("threshold").asDouble(), json);
    }

    /** The shape recorded in predictors.json (when it records one) must be the model's. */
    static void checkShape(Path jf, JsonNode json, int layers, int hidden, int intermediate) {
        int[] want = {layers, hidden, intermediate};
        String[] keys = {"num_hidden_layers", "hidden_size", "intermediate_size"};
        for (int i = 0; i < keys.length; i++) {
            if (json.path(keys[i]).isInt() && json.get(keys[i]).asInt() != want[i]) {
                throw ProsparseException.checkpoint(jf + ": the predictors were trained on a model with " + keys[i] + " "
                        + json.get(keys[i]).asInt() + ", this model has " + want[i] + "; train predictors for this model"
                        + " (prosparse predictors train --model DIR)");
            }
        }
    }

    static ArrayNode array() {
        return Json.MAPPER.createArrayNode();
    }
}
