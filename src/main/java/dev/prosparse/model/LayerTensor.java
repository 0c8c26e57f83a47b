package dev.prosparse.model;

import dev.prosparse.config.ModelConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The tensors of one decoder layer, with their HuggingFace names: the one place where those names are spelt
 * (with {@link #EMBED}, {@link #NORM} and {@link #LM_HEAD} for the tensors outside the layers). The order is
 * the order of {@link Weights#asMap()}.
 *
 * <p>Shapes use E = hidden_size, I = intermediate_size, D = head_dim, H / KV = attention / key-value heads.
 */
public enum LayerTensor {
    INPUT_NORM("input_layernorm.weight"),          // [E]
    Q("self_attn.q_proj.weight"),                  // [H·D, E]
    Q_BIAS("self_attn.q_proj.bias"),               // [H·D]      qkv bias (Qwen2, attention_bias)
    K("self_attn.k_proj.weight"),                  // [KV·D, E]
    K_BIAS("self_attn.k_proj.bias"),               // [KV·D]
    V("self_attn.v_proj.weight"),                  // [KV·D, E]
    V_BIAS("self_attn.v_proj.bias"),               // [KV·D]
    O("self_attn.o_proj.weight"),                  // [E, H·D]
    O_BIAS("self_attn.o_proj.bias"),               // [E]        (Llama/Qwen3 attention_bias)
    Q_NORM("self_attn.q_norm.weight"),             // [D]        per-head RMSNorm (Qwen3)
    K_NORM("self_attn.k_norm.weight"),             // [D]
    POST_NORM("post_attention_layernorm.weight"),  // [E]
    GATE("mlp.gate_proj.weight"),                  // [I, E]
    UP("mlp.up_proj.weight"),                      // [I, E]
    DOWN("mlp.down_proj.weight");                  // [E, I]

    public static final String EMBED = "model.embed_tokens.weight";
    public static final String NORM = "model.norm.weight";
    public static final String LM_HEAD = "lm_head.weight";
    private static final String LAYERS = "model.layers.";

    private final String suffix;

    LayerTensor(String suffix) {
        this.suffix = suffix;
    }

    /** The HF name in layer {@code layer}, e.g. {@code model.layers.3.mlp.gate_proj.weight}. */
    public String hfName(int layer) {
        return LAYERS + layer + "." + suffix;
    }

    /** Whether a checkpoint with this config holds this tensor in every layer. */
    public boolean present(ModelConfig c) {
        return switch (this) {
            case Q_BIAS, K_BIAS, V_BIAS -> c.qkvBias();
            case O_BIAS -> c.oBias();
            case Q_NORM, K_NORM -> c.qkNorm();
            default -> true;
        };
    }

    /** The config.json key (or model_type) that decides whether an optional tensor is there; null for required ones. */
    public String decidedBy() {
        return switch (this) {
            case Q_BIAS, K_BIAS, V_BIAS -> "attention_bias (always on for qwen2, off for mistral)";
            case O_BIAS -> "attention_bias (o_proj has a bias only for llama, minicpm and qwen3)";
            case Q_NORM, K_NORM -> "model_type (only qwen3 normalises q and k)";
            default -> null;
        };
    }

    /** Its shape under {@code c}. */
    public long[] shape(ModelConfig c) {
        long e = c.hiddenSize(), i = c.intermediateSize(), d = c.headDim();
        long q = (long) c.numAttentionHeads() * d, kv = (long) c.numKeyValueHeads() * d;
        return switch (this) {
            case INPUT_NORM, POST_NORM, O_BIAS -> new long[] {e};
            case Q -> new long[] {q, e};
            case Q_BIAS -> new long[] {q};
            case K, V -> new long[] {kv, e};
            case K_BIAS, V_BIAS -> new long[] {kv};
            case O -> new long[] {e, q};
            case Q_NORM, K_NORM -> new long[] {d};
            case GATE, UP -> new long[] {i, e};
            case DOWN -> new long[] {e, i};
        };
    }

    /** The tensors a layer holds under {@code c}, in order. */
    public static List<LayerTensor> presentIn(ModelConfig c) {
        List<LayerTensor> l = new ArrayList<>();
        for (LayerTensor t : values()) {
            if (t.present(c)) {
                l.add(t);
            }
        }
        return l;
    }

    /** The layer index of a {@code model.layers.N.…} name, or −1 for any other name. */
    public static int layerOf(String hfName) {
        if (!hfName.startsWith(LAYERS)) {
            return -1;
        }
        int dot = hfName.indexOf('.', LAYERS.length());
        try {
            return dot < 0 ? -1 : Integer.parseInt(hfName.substring(LAYERS.length(), dot));
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The layer tensor a name denotes (in any layer), or null. */
    public static LayerTensor of(String hfName) {
        int layer = layerOf(hfName);
        if (layer < 0) {
            return null;
        }
        String rest = hfName.substring((LAYERS + layer + ".").length());
        for (LayerTensor t : values()) {
            if (t.suffix.equals(rest)) {
                return t;
            }
        }
        return null;
    }
}
