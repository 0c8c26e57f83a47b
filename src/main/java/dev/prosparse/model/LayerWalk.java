package dev.prosparse.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.ArrayList;
import java.util.List;

/**
 * The one walk over the decoder layers (docs/layer-walk.md): hidden states of one or more batches ("lanes"), each
 * [B, S, E], go through layer 0, 1, …, L−1 of a {@link CausalLM}. Every lane passes layer l before any passes l+1, so
 * a {@link LayerSource} that streams weights from disk reads each layer once for all lanes. Embedding and head are the
 * model's ({@link CausalLM#embed}, {@link CausalLM#head}); the consumer's hooks ({@link LayerHooks}) override and
 * observe each layer's FFN. How a layer's intermediate arrays are kept is a {@link Scopes}.
 */
public final class LayerWalk {
    /** What stays alive between layers. */
    public enum Scopes {
        /** Nothing freed: every array stays in the lane's manager (a plain forward pass; x1 returned to the caller). */
        WHOLE_GRAPH,
        /**
         * Each layer runs in a scope of its own, closed once the layer's output exists: only what autograd saved
         * outlives the layer (DJL would otherwise keep every intermediate until the batch ends).
         */
        PER_LAYER,
        /** As {@link #PER_LAYER}, and each layer's input is kept in the lane's manager (the forward half of recompute). */
        KEEP_INPUTS
    }

    private final CausalLM model;
    private final CausalLM.Positions pos;
    private final LayerSource source;
    private final Scopes scopes;
    private final LayerHooks hooks;
    private final List<NDArray> hidden = new ArrayList<>();           // [B, S, E] per lane
    private final List<NDManager> homes = new ArrayList<>();
    private final List<List<NDArray>> inputs = new ArrayList<>();     // KEEP_INPUTS: the input of each layer per lane

    /**
     * @param pos    rotary tables and masks for the lanes' sequence length ({@link CausalLM#positions})
     * @param source each layer's weights; {@link LayerSource#of} the model's own for an in-memory model
     */
    public LayerWalk(CausalLM model, CausalLM.Positions pos, LayerSource source, Scopes scopes, LayerHooks hooks) {
        this.model = model;
        this.pos = pos;
        this.source = source;
        this.scopes = scopes;
        this.hooks = hooks == null ? LayerHooks.NONE : hooks;
    }

    /** A walk over the model's in-memory layers. */
    public static LayerWalk of(CausalLM model, CausalLM.Positions pos, Scopes scopes, LayerHooks hooks) {
        return new LayerWalk(model, pos, LayerSource.of(model.weights()), scopes, hooks);
    }

    /**
     * One batch through every layer: embed(ids), layers 0..L−1. The hidden state it returns (before the final norm)
     * lives in the manager of {@code inputIds}.
     *
     * @param inputIds [B, S] int64
     * @return [B, S, E]
     */
    public static NDArray run(CausalLM model, NDArray inputIds, Scopes scopes, LayerHooks hooks) {
        LayerWalk walk = of(model, model.positions(inputIds), scopes, hooks);
        walk.lane(model.embed(inputIds), inputIds.getManager());
        walk.layers();
        return walk.hidden(0);
    }

    /**
     * Adds a batch.
     *
     * @param h    its hidden state [B, S, E] entering the next layer to run (the embeddings, or a saved stream)
     * @param home the manager that holds the lane's hidden state between layers
     * @return the lane's index, which the observer receives
     */
    public int lane(NDArray h, NDManager home) {
        if (h.getManager() != home) {
            h.attach(home);
        }
        hidden.add(h);
        homes.add(home);
        inputs.add(new ArrayList<>());
        return hidden.size() - 1;
    }

    /** Every lane through all layers, in order. */
    public void layers() {
        for (int l = 0; l < model.config().numHiddenLayers(); l++) {
            layer(l);
        }
    }

    /** Every lane through decoder layer {@code layer} (its weights fetched once from the source). */
    public void layer(int layer) {
        LayerWeights w = source.layer(layer);
        for (int lane = 0; lane < hidden.size(); lane++) {
            NDArray h = hidden.get(lane);
            NDManager home = homes.get(lane);
            if (scopes == Scopes.WHOLE_GRAPH) {
                hidden.set(lane, model.decoderLayer(h, w, layer, pos, hooks, lane));
                continue;
            }
            try (NDManager ls = home.newSubManager()) {
                if (scopes == Scopes.KEEP_INPUTS) {
                    h.tempAttach(ls);                          // back in home when ls closes
                    inputs.get(lane).add(h);
                } else {
                    h.attach(ls);                              // closed with ls; autograd keeps what it saved
                }
                NDArray out = model.decoderLayer(h, w, layer, pos, hooks, lane);                 // [B, S, E]
                out.attach(home);
                hidden.set(lane, out);
            }
        }
    }

    /** A lane's hidden state after the layers run so far [B, S, E], in its home manager. */
    public NDArray hidden(int lane) {
        return hidden.get(lane);
    }

    /** {@link Scopes#KEEP_INPUTS}: the input [B, S, E] of each layer run so far, in the lane's home manager. */
    public List<NDArray> inputs(int lane) {
        return inputs.get(lane);
    }

    /** The number of lanes. */
    public int lanes() {
        return hidden.size();
    }
}
