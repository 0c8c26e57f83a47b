package dev.prosparse.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.Fp32;
import dev.prosparse.model.LayerHooks;
import dev.prosparse.model.LayerWalk;
import dev.prosparse.util.Torch;

/**
 * Forward and backward of one micro-batch, objective (CE + λ·Σ_layers mean|x1|)·lossMul, in one of two ways:
 * <ul>
 *   <li>{@link #plain}: the whole graph is kept and one backward pass runs. Each decoder layer runs in a scope of its
 *       own that is closed once the layer's output exists: that frees the handles of every intermediate array, so only
 *       what autograd saved stays alive (as in PyTorch; DJL otherwise keeps every intermediate until the step ends).</li>
 *   <li>{@link #recompute} (activation_checkpointing): the forward pass runs without a graph, keeping only each layer's
 *       input; the backward pass walks the layers in reverse, recomputes layer l with a graph from its saved input
 *       (which now requires a gradient) and back-propagates Σ(out ⊙ ∂L/∂out) + λ·mean|x1|·lossMul, which yields ∂L/∂in
 *       and the layer's parameter gradients. At most one layer's activations (attention probabilities included) are
 *       alive at a time.</li>
 * </ul>
 * Cross-entropy (on float32 logits) and the L1 means (of float32 |x1|) are computed in float32 also when the model
 * computes in float16. Every scalar returned is detached and lives in {@code scope}. Both run the model's one layer
 * walk with an L1 observer (docs/layer-walk.md).
 */
final class MicroBatch {
    private MicroBatch() {}

    /** Σ CE, Σ_layers mean|x1| (float32) and the number of nonzero x1 entries (float64), and the entry count. */
    record Result(NDArray ce, NDArray l1, NDArray nonzero, long entries) {}

    static Result plain(CausalLM m, NDArray in, NDArray target, NDArray lam, NDArray lossMul, GradientCollector gc,
            NDManager scope) {
        return plain(m, in, target, lam, lossMul, gc, scope, () -> {});
    }

    /** @param forwardDone called when the forward pass is queued, before the first backward (phase timing) */
    static Result plain(CausalLM m, NDArray in, NDArray target, NDArray lam, NDArray lossMul, GradientCollector gc,
            NDManager scope, Runnable forwardDone) {
        Layerwise acc = new Layerwise(scope);
        LayerWalk walk = LayerWalk.of(m, m.positions(in), LayerWalk.Scopes.PER_LAYER, LayerHooks.observing(acc));
        walk.lane(m.embed(in), scope);
        walk.layers();
        NDArray h = walk.hidden(0);                                                       // [B, S, E] in scope
        NDArray ce;
        try (NDManager hs = scope.newSubManager()) {
            h.attach(hs);
            ce = CausalLM.crossEntropy(Fp32.of(m.head(h)), target);                      // []
            ce.attach(scope);
        }
        NDArray loss = ce.add(acc.l1.mul(lam)).mul(lossMul);
        forwardDone.run();
        gc.backward(loss);
        return acc.result(ce);
    }

    static Result recompute(CausalLM m, NDArray in, NDArray target, NDArray lam, NDArray lossMul, GradientCollector gc,
            NDManager scope) {
        return recompute(m, in, target, lam, lossMul, gc, scope, () -> {});
    }

    /** @param forwardDone called when the graph-free forward pass is queued, before the first backward (phase timing) */
    static Result recompute(CausalLM m, NDArray in, NDArray target, NDArray lam, NDArray lossMul, GradientCollector gc,
            NDManager scope, Runnable forwardDone) {
        int layers = m.config().numHiddenLayers();
        CausalLM.Positions pos = m.positions(in);
        LayerWalk forward = LayerWalk.of(m, pos, LayerWalk.Scopes.KEEP_INPUTS, LayerHooks.NONE);
        NDArray[] inputs = new NDArray[layers + 1];                                       // [B, S, E] each
        Torch.noGrad(() -> {
            forward.lane(m.embed(in), scope);
            forward.layers();
            forward.inputs(0).toArray(inputs);
            inputs[layers] = forward.hidden(0);
            return null;
        });

        // final norm, lm_head, cross-entropy: backward gives ∂L/∂h_L
        NDArray top = inputs[layers];
        top.setRequiresGradient(true);
        NDArray ce;
        try (NDManager hs = scope.newSubManager()) {
            top.tempAttach(hs);
            ce = CausalLM.crossEntropy(Fp32.of(m.head(top)), target);                    // []
            ce.attach(scope);
        }
        NDArray topLoss = ce.mul(lossMul);
        forwardDone.run();
        gc.backward(topLoss);
        NDArray grad = gradientOf(top, scope);                                            // [B, S, E]
        top.close();

        Layerwise acc = new Layerwise(scope);
        LayerHooks l1Hook = LayerHooks.observing(acc);
        NDArray lamMul = lam.mul(lossMul);
        for (int l = layers - 1; l >= 0; l--) {
            NDArray x = inputs[l];
            x.setRequiresGradient(true);
            try (NDManager ls = scope.newSubManager()) {
                x.tempAttach(ls);
                // per-layer recompute: the walk's own layer step, with a graph, from the saved input
                NDArray out = m.decoderLayer(x, m.weights().layer(l), l, pos, l1Hook, 0);    // [B, S, E]
                NDArray l1 = acc.last;
                // ∂/∂out of Σ(out ⊙ grad) is grad: the chain rule through this layer, plus the layer's own L1 term
                gc.backward(Fp32.of(out).mul(Fp32.of(grad)).sum().add(l1.mul(lamMul)));
            }
            grad.close();
            grad = gradientOf(x, scope);
            x.close();
        }
        // embeddings: recomputed with a graph so that embed_tokens gets its gradient
        try (NDManager es = scope.newSubManager()) {
            in.tempAttach(es);
            NDArray h0 = m.embed(in);
            gc.backward(Fp32.of(h0).mul(Fp32.of(grad)).sum());
        }
        grad.close();
        return acc.result(ce);
    }

    /** The gradient a backward pass left on leaf {@code x}, detached, in {@code scope}. */
    private static NDArray gradientOf(NDArray x, NDManager scope) {
        NDArray g = x.getGradient().stopGradient();
        g.attach(scope);
        return g;
    }

    /**
     * A layer-walk observer (docs/layer-walk.md) summing Σ_layers mean|x1| (with its graph) and the nonzero count over
     * the layers of one micro-batch.
     */
    private static final class Layerwise implements LayerHooks.FfnObserver {
        private final NDManager scope;
        NDArray l1, nonzero;
        /** The last layer's mean|x1| (float32, in scope, with its graph). */
        NDArray last;
        long entries;

        Layerwise(NDManager scope) {
            this.scope = scope;
        }

        /** Adds layer x1's terms, kept in scope beyond the layer's own. */
        @Override
        public void layer(int layer, int lane, NDArray input, NDArray x1) {              // x1 [B, S, I]
            NDArray mean = Fp32.of(x1.abs()).mean();                                    // mean over B·S·I
            NDArray nz = x1.countNonzero();
            mean.attach(scope);
            nz.attach(scope);
            entries += x1.getShape().size();
            l1 = l1 == null ? mean : l1.add(mean);
            nonzero = nonzero == null ? nz : nonzero.add(nz);
            last = mean;
        }

        Result result(NDArray ce) {
            return new Result(ce.stopGradient(), l1.stopGradient(), nonzero.toType(DataType.FLOAT64, false), entries);
        }
    }
}
