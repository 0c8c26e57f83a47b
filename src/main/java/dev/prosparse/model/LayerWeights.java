package dev.prosparse.model;

import ai.djl.ndarray.NDArray;
import java.util.function.Function;

/**
 * One decoder layer's parameters, typed (llama3.java's habit): built once when the weights are loaded, so a
 * missing tensor fails there, by name, rather than in the first forward pass. Optional tensors are null
 * where the architecture has none (biases: Qwen2 and attention_bias; q/k norms: Qwen3).
 *
 * <p>Shapes: E = hidden_size, I = intermediate_size, D = head_dim, H / KV = attention / key-value heads.
 *
 * @param inputNorm [E]          input_layernorm
 * @param q         [H·D, E]     q_proj, with optional bias {@code qBias} [H·D]
 * @param k         [KV·D, E]    k_proj, with optional bias {@code kBias} [KV·D]
 * @param v         [KV·D, E]    v_proj, with optional bias {@code vBias} [KV·D]
 * @param o         [E, H·D]     o_proj, with optional bias {@code oBias} [E]
 * @param qNorm     [D] or null  per-head RMSNorm of q (Qwen3)
 * @param kNorm     [D] or null  per-head RMSNorm of k (Qwen3)
 * @param postNorm  [E]          post_attention_layernorm
 * @param gate      [I, E]       mlp.gate_proj
 * @param up        [I, E]       mlp.up_proj
 * @param down      [E, I]       mlp.down_proj
 */
public record LayerWeights(NDArray inputNorm, NDArray q, NDArray qBias, NDArray k, NDArray kBias, NDArray v,
        NDArray vBias, NDArray o, NDArray oBias, NDArray qNorm, NDArray kNorm, NDArray postNorm, NDArray gate,
        NDArray up, NDArray down) {

    /**
     * Picks layer {@code layer}'s tensors by HF name.
     *
     * @param lookup the tensor of a name, or null when there is none
     * @throws IllegalArgumentException naming the first required tensor that is missing
     */
    public static LayerWeights from(int layer, Function<String, NDArray> lookup) {
        Function<LayerTensor, NDArray> opt = t -> lookup.apply(t.hfName(layer));
        Function<LayerTensor, NDArray> req = t -> {
            NDArray a = opt.apply(t);
            if (a == null) {
                throw new IllegalArgumentException("tensor '" + t.hfName(layer) + "' is missing");
            }
            return a;
        };
        return new LayerWeights(req.apply(LayerTensor.INPUT_NORM), req.apply(LayerTensor.Q), opt.apply(LayerTensor.Q_BIAS),
                req.apply(LayerTensor.K), opt.apply(LayerTensor.K_BIAS), req.apply(LayerTensor.V),
                opt.apply(LayerTensor.V_BIAS), req.apply(LayerTensor.O), opt.apply(LayerTensor.O_BIAS),
                opt.apply(LayerTensor.Q_NORM), opt.apply(LayerTensor.K_NORM), req.apply(LayerTensor.POST_NORM),
                req.apply(LayerTensor.GATE), req.apply(LayerTensor.UP), req.apply(LayerTensor.DOWN));
    }
}
