package dev.prosparse.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;

/**
 * The FFN variants through libtorch (DJL). The sparse ones gather the active rows with {@code embedding}
 * (torch.index_select on dim 0) and then multiply: every gathered row is copied once before it is used.
 * Shapes: T tokens, E hidden, I intermediate, k active neurons, r predictor rank.
 */
final class TorchFfn {
    private TorchFfn() {}

    static NDArray linear(NDArray x, NDArray w) {
        return x.getNDArrayInternal().linear(x, w, null).singletonOrThrow();
    }

    /** Whether each neuron is active in some token: [T, I] boolean → [I] (nonzero where active). */
    static NDArray anyToken(NDArray active) {
        return active.toType(DataType.FLOAT32, false).sum(new int[] {0});
    }

    /** rows[idx] of a [n, E] matrix → [k, E]. */
    static NDArray rows(NDArray idx, NDArray w) {
        return idx.getNDArrayInternal().embedding(idx, w, SparseFormat.DENSE).singletonOrThrow();
    }

    /** relu(x·W_gateᵀ) ⊙ (x·W_upᵀ) · W_downᵀ. x [T, E], W_gate/W_up [I, E], W_down [E, I] → [T, E]. */
    static NDArray dense(NDArray x, NDArray wg, NDArray wu, NDArray wd) {
        NDArray h = linear(x, wg).getNDArrayInternal().relu().mul(linear(x, wu));      // [T, I]
        return linear(h, wd);                                                           // [T, E]
    }

    /**
     * Exact: the gate dense, then up and down only for the neurons active in some token (gate &gt; t; t = 0 is
     * ReLU; a per-token t [T, 1] realises a drawn rate). W_downᵀ [I, E] (ffn_down_t).
     */
    static NDArray exact(NDArray x, NDArray wg, NDArray wu, NDArray wdt, NDArray t) {
        NDArray g = linear(x, wg);                                                      // [T, I]
        NDArray active = g.gt(t);                                                       // [T, I]
        NDArray idx = anyToken(active).nonzero().reshape(-1);                              // [k]
        NDArray gk = g.gather(idx.expandDims(0).repeat(0, g.getShape().get(0)), 1);     // [T, k]
        NDArray mk = active.gather(idx.expandDims(0).repeat(0, g.getShape().get(0)), 1);
        NDArray h = gk.mul(mk).mul(linear(x, rows(idx, wu)));                           // [T, k]
        return h.matMul(rows(idx, wdt));                                                // [T, E]
    }

    /**
     * Predictor-driven: s = fc2·relu(fc1·x) (fc1 [r, E], fc2 [I, r]), neurons with s ≥ τ in some token, then gate,
     * up and down for those rows only. τ: a scalar or [T, 1].
     */
    static NDArray predicted(NDArray x, NDArray fc1, NDArray fc2, NDArray tau, NDArray wg, NDArray wu, NDArray wdt) {
        NDArray s = linear(linear(x, fc1).getNDArrayInternal().relu(), fc2);          // [T, I]
        NDArray idx = anyToken(s.gte(tau)).nonzero().reshape(-1);                          // [k]
        NDArray h = linear(x, rows(idx, wg)).getNDArrayInternal().relu()
                .mul(linear(x, rows(idx, wu)));                                         // [T, k]
        return h.matMul(rows(idx, wdt));                                                // [T, E]
    }
}
