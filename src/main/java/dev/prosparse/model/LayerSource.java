package dev.prosparse.model;

/**
 * Where the layer walk gets each decoder layer's weights (docs/layer-walk.md): all in memory ({@link #of(Weights)}),
 * or read from disk one layer at a time into reused buffers (the layer-streamed evaluator's source).
 */
@FunctionalInterface
public interface LayerSource {
    /** Layer {@code layer}'s tensors; valid until the next call. */
    LayerWeights layer(int layer);

    /** The layers of weights held in memory. */
    static LayerSource of(Weights weights) {
        return weights::layer;
    }
}
