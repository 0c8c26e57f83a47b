package dev.prosparse.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.Fp32;
import dev.prosparse.util.Torch;
import java.util.ArrayList;
import java.util.List;

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
 * computes in float16. Every scalar returned is detached and lives in {@code scope}.
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
        CausalLM.Positions pos = m.positions(in);
        NDArray h = m.embed(in);                                                          // [B, S, E] in scope
        Layerwise acc = new Layerwise();
        for (int l = 0; l < m.config().numHiddenLayers(); l++) {
            try (NDManager ls = scope.newSubManager()) {
                h.attach(ls);                                  // closed with the layer scope; autograd keeps its copy
                List<NDArray> x1s = new ArrayList<>(1);
                NDArray out = m.decoderLayer(h, l, pos, x1s);                             // [B, S, E]
                acc.add(x1s.get(0), scope);
                out.attach(scope);
                h = out;
            }
        }
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
        NDArray[] inputs = new NDArray[layers + 1];                                       // [B, S, E] each
        Torch.noGrad(() -> {
            inputs[0] = m.embed(in);
            for (int l = 0; l < layers; l++) {
                try (NDManager ls = scope.newSubManager()) {
                    inputs[l].tempAttach(ls);                  // back in scope when ls closes
                    NDArray out = m.decoderLayer(inputs[l], l, pos, null);
                    out.attach(scope);
                    inputs[l + 1] = out;
                }
            }
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

        Layerwise acc = new Layerwise();
        NDArray lamMul = lam.mul(lossMul);
        for (int l = layers - 1; l >= 0; l--) {
            NDArray x = inputs[l];
            x.setRequiresGradient(true);
            try (NDManager ls = scope.newSubManager()) {
                x.tempAttach(ls);
                List<NDArray> x1s = new ArrayList<>(1);
                NDArray out = m.decoderLayer(x, l, pos, x1s);                             // [B, S, E]
                NDArray l1 = acc.add(x1s.get(0), scope);
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

    /** Σ_layers mean|x1| (with its graph) and the nonzero count over the layers of one micro-batch. */
    private static final class Layerwise {
        NDArray l1, nonzero;
        long entries;

        /** Adds layer x1's terms; returns this layer's mean|x1| (float32, in scope, with its graph). */
        NDArray add(NDArray x1, NDManager scope) {                                       // x1 [B, S, I]
            NDArray mean = Fp32.of(x1.abs()).mean();                                    // mean over B·S·I
            NDArray nz = x1.countNonzero();
            mean.attach(scope);
            nz.attach(scope);
            entries += x1.getShape().size();
            l1 = l1 == null ? mean : l1.add(mean);
            nonzero = nonzero == null ? nz : nonzero.add(nz);
            return mean;
        }

        Result result(NDArray ce) {
            return new Result(ce.stopGradient(), l1.stopGradient(), nonzero.toType(DataType.FLOAT64, false), entries);
        }
    }
}
