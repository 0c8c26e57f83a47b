package dev.prosparse.sparsity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.data.EvalWindows;
import dev.prosparse.data.TokenStream;
import dev.prosparse.data.WindowBatch;
import dev.prosparse.data.WindowBatches;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.LayerHooks;
import dev.prosparse.model.LayerWalk;
import dev.prosparse.util.Torch;
import java.util.function.IntConsumer;

/** Runs a model over evaluation windows and collects loss and per-layer x1 statistics (docs/layer-walk.md). */
public final class SparsityEvaluator {
    /** Windows per forward pass: bounds memory at [batch, seq, vocab] logits. */
    public static final int DEFAULT_BATCH = 8;

    private SparsityEvaluator() {}

    /**
     * @param progress called with the number of windows done after each batch (may be null)
     */
    public static SparsityResult evaluate(CausalLM model, NDManager parent, TokenStream stream, EvalWindows windows,
            int batchSize, IntConsumer progress) {
        LayerTotals totals = new LayerTotals(model.config().numHiddenLayers());
        double lossSum = 0;
        for (WindowBatch wb : WindowBatches.of(stream, windows, batchSize)) {
            try (NDManager scope = parent.newSubManager()) {
                NDArray[] io = CausalLM.splitWindow(Torch.fromLongs(scope, wb.ids(), new Shape(wb.count(), wb.length())));
                // layer by layer, each in a scope closed once its output exists: only one layer's intermediate
                // arrays are alive at a time
                NDArray h = LayerWalk.run(model, io[0], LayerWalk.Scopes.PER_LAYER,
                        LayerHooks.observing(totals));                                            // [b, T, E]
                lossSum += CausalLM.crossEntropy(model.head(h), io[1]).getFloat() * (double) wb.count();
            }
            if (progress != null) {
                progress.accept(wb.first() + wb.count());
            }
        }
        return totals.result(lossSum / windows.count(), windows.tokens());
    }
}
