package dev.prosparse.config;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.util.Messages;
import java.util.ArrayList;
import java.util.List;

/**
 * What a family's attention has beyond LLaMA-2's, decided from {@code model_type} and config.json as
 * transformers 5.17 decides it:
 * <ul>
 *   <li>bias on q/k/v: always for qwen2, never for mistral, {@code attention_bias} for llama, qwen3 and minicpm;
 *   <li>bias on o_proj: {@code attention_bias} for llama, qwen3 and minicpm, never for qwen2 and mistral;
 *   <li>per-head RMSNorm of q and k ({@code q_norm}, {@code k_norm}): qwen3;
 *   <li>sliding window: mistral uses {@code sliding_window} (default 4096 when the key is absent) in every layer;
 *       qwen2/qwen3 only when {@code use_sliding_window} is true, in the layers that {@code layer_types} marks
 *       {@code sliding_attention} (without {@code layer_types}: layers ≥ {@code max_window_layers}); llama and
 *       minicpm have none (transformers ignores the key there).
 * </ul>
 *
 * <p>Kept compact (not one entry per layer), so that a config claiming 2³¹ layers costs nothing to parse.
 *
 * @param window        the sliding window W (a query sees W positions, itself included), 0 when none is in effect
 * @param slidingByType per layer, whether {@code layer_types} marks it sliding; null when the config has no layer_types
 * @param slidingFrom   without layer_types: the first layer that slides (mistral 0, qwen max_window_layers)
 * @param layers        num_hidden_layers
 */
public record AttentionFeatures(boolean qkvBias, boolean oBias, boolean qkNorm, int window, List<Boolean> slidingByType,
        int slidingFrom, int layers) {

    static final int DEFAULT_WINDOW = 4096;
    static final int DEFAULT_MAX_WINDOW_LAYERS = 28;

    static AttentionFeatures parse(ConfigReader r, ModelType type, int layers) {
        boolean attentionBias = r.bool("attention_bias", false);
        if (type == ModelType.LLAMA && r.bool("mlp_bias", false)) {
            throw ProsparseException.checkpoint(r.source + ": mlp_bias = true is not supported (FFN projections"
                    + " without bias only)");
        }
        boolean qkv = switch (type) {
            case QWEN2 -> true;
            case MISTRAL -> false;
            default -> attentionBias;
        };
        boolean o = switch (type) {
            case QWEN2, MISTRAL -> false;
            default -> attentionBias;
        };
        boolean qkNorm = type == ModelType.QWEN3;
        switch (type) {
            case MISTRAL -> {
                int window = r.raw.has("sliding_window") ? nullableWindow(r) : DEFAULT_WINDOW;
                return new AttentionFeatures(qkv, o, qkNorm, window, null, 0, layers);
            }
            case QWEN2, QWEN3 -> {
                int window = r.bool("use_sliding_window", false) ? nullableWindow(r) : 0;
                JsonNode types = r.raw.get("layer_types");
                if (types == null || types.isNull()) {
                    int from = r.raw.hasNonNull("max_window_layers") ? r.nonNegativeInt("max_window_layers")
                            : DEFAULT_MAX_WINDOW_LAYERS;
                    return new AttentionFeatures(qkv, o, qkNorm, window, null, from, layers);
                }
                if (!types.isArray() || types.size() != layers) {
                    throw ProsparseException.checkpoint(r.source + ": key layer_types must list one entry per"
                            + " layer (" + layers + "), got " + Messages.printable(types.toString(), 60));
                }
                List<Boolean> sliding = new ArrayList<>(layers);
                for (int l = 0; l < layers; l++) {
                    String t = types.get(l).asText("?");
                    if (t.equals("sliding_attention") && window == 0) {
                        throw ProsparseException.checkpoint(r.source + ": layer_types[" + l + "] is"
                                + " sliding_attention but no window is in effect (use_sliding_window is false"
                                + " or sliding_window is null); transformers refuses this config too");
                    } else if (!t.equals("sliding_attention") && !t.equals("full_attention")) {
                        throw ProsparseException.checkpoint(r.source + ": layer_types[" + l + "] \""
                                + Messages.printable(t, 40) + "\" is not supported; prosparse implements"
                                + " full_attention and sliding_attention");
                    }
                    sliding.add(t.equals("sliding_attention"));
                }
                return new AttentionFeatures(qkv, o, qkNorm, window, List.copyOf(sliding), 0, layers);
            }
            default -> {
                return new AttentionFeatures(qkv, o, qkNorm, 0, null, 0, layers);
            }
        }
    }

    /** sliding_window as a window size, 0 when null. */
    private static int nullableWindow(ConfigReader r) {
        return r.raw.hasNonNull("sliding_window") ? r.positiveInt("sliding_window") : 0;
    }

    /** The window of layer {@code layer}: W where it slides, 0 for full causal attention. */
    public int slidingWindow(int layer) {
        if (window == 0) {
            return 0;
        }
        boolean slides = slidingByType != null ? slidingByType.get(layer) : layer >= slidingFrom;
        return slides ? window : 0;
    }

    /** Whether any layer attends through a sliding window. */
    public boolean anySliding() {
        return window > 0 && (slidingByType != null ? slidingByType.contains(true) : slidingFrom < layers);
    }

    /** Every layer's window (for tests and messages; one entry per layer). */
    public List<Integer> slidingWindows() {
        List<Integer> w = new ArrayList<>(layers);
        for (int l = 0; l < layers; l++) {
            w.add(slidingWindow(l));
        }
        return w;
    }
}
