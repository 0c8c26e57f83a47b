package dev.prosparse.hub;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.config.ModelType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A model preset: one {@code configs/models/<name>.yaml}. It names where the checkpoint lives on the hub and
 * the dimensions a checkpoint must have to be that model (checked against config.json before converting).
 *
 * @param hubId   null for models that are bundled only (the tiny test models)
 * @param headDim null where config.json has none (hidden_size / num_attention_heads)
 * @param notes   free text, may be null
 */
public record Preset(String name, String hubId, String source, String modelType, int hiddenSize,
        int intermediateSize, int numHiddenLayers, int numAttentionHeads, int numKeyValueHeads, int vocabSize,
        Integer headDim, String notes, Path file) {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]*");
    private static final Set<String> KEYS = Set.of("name", "hub_id", "source", "model_type", "hidden_size",
            "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "vocab_size",
            "head_dim", "notes");

    /** Reads and validates one preset file; unknown keys are refused (a typo must not pass silently). */
    public static Preset read(Path file) {
        JsonNode root;
        try {
            root = YAML.readTree(Files.readString(file));
        } catch (JsonProcessingException e) {
            throw ProsparseException.usage(file + " is not valid YAML: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ProsparseException.io("Cannot read preset " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw ProsparseException.usage(file + " must be a YAML mapping with keys " + String.join(", ", sortedKeys()));
        }
        for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!KEYS.contains(key)) {
                throw ProsparseException.usage(file + ": unknown key '" + key + "'; valid keys: "
                        + String.join(", ", sortedKeys()));
            }
        }
        String name = text(root, "name", file, true);
        String stem = file.getFileName().toString().replaceFirst("\\.ya?ml$", "");
        if (!NAME.matcher(name).matches()) {
            throw ProsparseException.usage(file + ": name '" + name + "' must be lower-case letters, digits, '.', '-' or '_'");
        }
        if (!name.equals(stem)) {
            throw ProsparseException.usage(file + ": name '" + name + "' must equal the file name ('" + stem
                    + "'), so that --model " + stem + " finds it");
        }
        String hubId = text(root, "hub_id", file, false);
        if (hubId != null && !HubId.isValid(hubId)) {
            throw ProsparseException.usage(file + ": hub_id '" + hubId + "' is not of the form org/name"
                    + " (for example meta-llama/Llama-2-7b-hf)");
        }
        String modelType = text(root, "model_type", file, true);
        if (java.util.Arrays.stream(ModelType.values()).noneMatch(t -> t.hfName().equals(modelType))) {
            throw ProsparseException.usage(file + ": model_type '" + modelType + "' must be one of " + ModelType.names());
        }
        return new Preset(name, hubId, text(root, "source", file, true), modelType,
                positive(root, "hidden_size", file), positive(root, "intermediate_size", file),
                positive(root, "num_hidden_layers", file), positive(root, "num_attention_heads", file),
                positive(root, "num_key_value_heads", file), positive(root, "vocab_size", file),
                root.hasNonNull("head_dim") ? positive(root, "head_dim", file) : null,
                text(root, "notes", file, false), file);
    }

    /**
     * Checks that a checkpoint's config.json has this preset's dimensions; the error lists every difference.
     *
     * @param where the checkpoint folder, for the message
     */
    public void check(ModelConfig c, Path where) {
        List<String> diffs = new ArrayList<>();
        if (!c.modelType().equals(modelType)) {
            diffs.add("model_type is " + c.modelType() + ", expected " + modelType);
        }
        diff(diffs, "hidden_size", c.hiddenSize(), hiddenSize);
        diff(diffs, "intermediate_size", c.intermediateSize(), intermediateSize);
        diff(diffs, "num_hidden_layers", c.numHiddenLayers(), numHiddenLayers);
        diff(diffs, "num_attention_heads", c.numAttentionHeads(), numAttentionHeads);
        diff(diffs, "num_key_value_heads", c.numKeyValueHeads(), numKeyValueHeads);
        diff(diffs, "vocab_size", c.vocabSize(), vocabSize);
        if (headDim != null) {
            diff(diffs, "head_dim", c.headDim(), headDim);
        }
        if (!diffs.isEmpty()) {
            throw ProsparseException.checkpoint(where.resolve(ModelConfig.FILE) + " does not match preset " + name
                    + " (" + file + "): " + String.join("; ", diffs) + "; point --model-dir at a " + name
                    + " checkpoint, or pass the folder itself as --model to convert it without the preset check");
        }
    }

    /** "32 layers, hidden 4096, intermediate 11008, heads 32/32, vocab 32000". */
    public String dimensions() {
        return numHiddenLayers + " layers, hidden " + hiddenSize + ", intermediate " + intermediateSize + ", heads "
                + numAttentionHeads + "/" + numKeyValueHeads + ", vocab " + vocabSize;
    }

    private static void diff(List<String> diffs, String key, int actual, int expected) {
        if (actual != expected) {
            diffs.add(key + " is " + actual + ", expected " + expected);
        }
    }

    private static String text(JsonNode root, String key, Path file, boolean required) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            if (required) {
                throw ProsparseException.usage(file + ": key " + key + " is missing");
            }
            return null;
        }
        if (!n.isTextual() || n.asText().isBlank()) {
            throw ProsparseException.usage(file + ": key " + key + " must be a non-empty string, got " + n);
        }
        return n.asText().trim();
    }

    private static int positive(JsonNode root, String key, Path file) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) {
            throw ProsparseException.usage(file + ": key " + key + " is missing");
        }
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() <= 0) {
            throw ProsparseException.usage(file + ": key " + key + " must be a positive integer, got " + n);
        }
        return n.asInt();
    }

    private static List<String> sortedKeys() {
        return KEYS.stream().sorted().toList();
    }
}
