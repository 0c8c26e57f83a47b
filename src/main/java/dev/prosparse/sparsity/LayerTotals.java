package dev.prosparse.sparsity;

import ai.djl.ndarray.NDArray;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.LayerHooks;

/** A layer-walk observer that sums each layer's x1 zeros, entries and Σ|x1| over the batches it sees. */
final class LayerTotals implements LayerHooks.FfnObserver {
    private final long[] zeros, count;
    private final double[] absSum;

    LayerTotals(int layers) {
        zeros = new long[layers];
        count = new long[layers];
        absSum = new double[layers];
    }

    @Override
    public void layer(int layer, int lane, NDArray input, NDArray x1) {                  // x1 [B, S, I]
        CausalLM.LayerStats s = CausalLM.stats(x1);
        zeros[layer] += s.zeros();
        count[layer] += s.count();
        absSum[layer] += s.absSum();
    }

    SparsityResult result(double loss, long tokens) {
        return new SparsityResult(loss, tokens, zeros, count, absSum);
    }
}
