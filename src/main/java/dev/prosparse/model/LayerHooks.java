package dev.prosparse.model;

import ai.djl.ndarray.NDArray;

/**
 * What a consumer of the layer walk ({@link LayerWalk}, {@link CausalLM#decoderLayer}) may do inside each decoder
 * layer's FFN without writing the forward pass again (docs/layer-walk.md): change the FFN's neurons and watch them.
 * Either part may be null. Shapes: B = batch, S = sequence, E = hidden_size, I = intermediate_size.
 *
 * @param override replaces x1 before down_proj (predicted or thresholded neurons); null keeps the model's x1
 * @param observer sees each layer's FFN input and its x1 (after the override): statistics, pair collection, L1
 */
public record LayerHooks(FfnOverride override, FfnObserver observer) {
    /** The plain model. */
    public static final LayerHooks NONE = new LayerHooks(null, null);

    public static LayerHooks observing(FfnObserver observer) {
        return new LayerHooks(null, observer);
    }

    /**
     * The FFN's own values at one layer, for an override: x1 = σ(gate) ⊙ up.
     *
     * @param input the FFN's input residual stream [B, S, E] (the output of the attention half, before
     *              post_attention_layernorm: llama.cpp's "ffn_inp", what activation predictors read)
     * @param gate  gate_proj(x) [B, S, I]
     * @param up    up_proj(x) [B, S, I]
     * @param x1    the activation's output, the input of down_proj [B, S, I]
     */
    public record Ffn(NDArray input, NDArray gate, NDArray up, NDArray x1) {}

    /** Replaces x1 (for example x1 ⊙ mask); its result goes through down_proj and into the residual stream. */
    @FunctionalInterface
    public interface FfnOverride {
        /** @return the x1 to use [B, S, I] */
        NDArray x1(int layer, Ffn ffn);
    }

    /**
     * Sees a layer's FFN input [B, S, E] and x1 [B, S, I]. Under the walk's per-layer scopes both are freed when the
     * layer ends: read them, or attach what must outlive the layer to a longer-lived manager.
     */
    @FunctionalInterface
    public interface FfnObserver {
        /** @param lane which of the walk's batches ({@link LayerWalk#lane}); 0 outside a walk */
        void layer(int layer, int lane, NDArray input, NDArray x1);
    }
}
