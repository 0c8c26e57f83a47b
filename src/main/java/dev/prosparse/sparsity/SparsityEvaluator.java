package dev.prosparse.sparsity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.data.EvalWindows;
import dev.prosparse.data.TokenStream;
import dev.prosparse.model.CausalLM;
import dev.prosparse.util.Torch;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/** Runs a model over evaluation windows and collects loss and per-layer x1 statistics. */
public final class SparsityEvaluator {
    /** Windows per forward pass: bounds memory at [batch, seq, vocab] logits. */
    public static final int DEFAULT_BATCH = 8;

    private SparsityEvaluator() {}

    /**
     * @param progress called with the number of windows done after each batch (may be null)
     */
    public static SparsityResult evaluate(CausalLM model, NDManager parent, TokenStream stream, EvalWindows windows,
            int batchSize, IntConsumer progress) {
        int layers = model.config().numHiddenLayers();
        long[] zeros = new long[layers], count = new long[layers];
        double[] absSum = new double[layers];
        double lossSum = 0;
        int t = windows.seqLen();
        for (int first = 0; first < windows.count(); first += batchSize) {
            int b = Math.min(batchSize, windows.count() - first);
            long[] ids = new long[b * (t + 1)];
            for (int i = 0; i < b; i++) {
                System.arraycopy(stream.window(windows.start(first + i), t + 1), 0, ids, i * (t + 1), t + 1);
            }
            try (NDManager scope = parent.newSubManager()) {
                NDArray batch = Torch.fromLongs(scope, ids, new Shape(b, t + 1));      // [b, T+1]
                NDArray[] io = CausalLM.splitWindow(batch);                           // [b, T], [b, T]
                // layer by layer, each in a scope closed once its output exists: only one layer's intermediate
                // arrays are alive at a time (DJL would otherwise keep every one until the batch is done)
                CausalLM.Positions pos = model.positions(io[0]);
                NDArray h = model.embed(io[0]);                                       // [b, T, E]
                for (int l = 0; l < layers; l++) {
                    try (NDManager ls = scope.newSubManager()) {
                        h.attach(ls);
                        List<NDArray> x1 = new ArrayList<>(1);
                        NDArray out = model.decoderLayer(h, l, pos, x1);             // [b, T, E]
                        CausalLM.LayerStats s = CausalLM.stats(x1.get(0));
                        zeros[l] += s.zeros();
                        count[l] += s.count();
                        absSum[l] += s.absSum();
                        out.attach(scope);
                        h = out;
                    }
                }
                lossSum += CausalLM.crossEntropy(model.head(h), io[1]).getFloat() * (double) b;
            }
            if (progress != null) {
                progress.accept(first + b);
            }
        }
        return new SparsityResult(lossSum / windows.count(), windows.tokens(), zeros, count, absSum);
    }
}
