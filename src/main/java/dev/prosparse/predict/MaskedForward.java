package dev.prosparse.predict;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.data.EvalWindows;
import dev.prosparse.data.TokenStream;
import dev.prosparse.data.WindowBatch;
import dev.prosparse.data.WindowBatches;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.LayerHooks;
import dev.prosparse.model.LayerWalk;
import dev.prosparse.util.Torch;
import java.util.List;

/**
 * The model's loss when each FFN computes only the neurons its predictor selects: x1 ⊙ 1[fc2·relu(fc1·x) ≥ τ]
 * with x = the FFN's input residual stream (what PowerInfer computes). The mask is an FFN override of the model's one
 * layer walk ({@link Predicted}; docs/layer-walk.md).
 */
public final class MaskedForward {
    private MaskedForward() {}

    /** Mean next-token loss and the fraction of neurons not computed (0 without predictors). */
    public record Result(double loss, double skippedFraction) {
        public double perplexity() {
            return Math.exp(loss);
        }
    }

    /**
     * @param predictors per layer (folded; a null entry leaves that layer dense), or null for the dense model
     * @param threshold  the global threshold τ
     */
    public static Result evaluate(CausalLM lm, TokenStream stream, EvalWindows windows, int batch, List<Predictor> predictors,
            float threshold, NDManager root) {
        double lossSum = 0;
        long tokens = 0;
        double skipped = 0, neurons = 0;
        for (WindowBatch wb : WindowBatches.of(stream, windows, batch)) {
            Predicted masks = new Predicted(predictors, threshold);
            double loss = Torch.noGrad(() -> {
                try (NDManager scope = root.newSubManager()) {
                    NDArray[] io = CausalLM.splitWindow(Torch.fromLongs(scope, wb.ids(), new Shape(wb.count(), wb.length())));
                    NDArray h = LayerWalk.run(lm, io[0], LayerWalk.Scopes.PER_LAYER, masks.hooks());   // [B, S, E]
                    return (double) CausalLM.crossEntropy(lm.head(h), io[1]).getFloat();
                }
            });
            long t = (long) wb.count() * windows.seqLen();
            lossSum += loss * t;
            tokens += t;
            skipped += masks.skipped;
            neurons += masks.neurons;
        }
        return new Result(lossSum / tokens, neurons == 0 ? 0 : skipped / neurons);
    }

    /**
     * The FFN override x1 ⊙ 1[fc2·relu(fc1·x) ≥ τ] per layer (a null predictor, or none, leaves the layer dense),
     * counting the neurons it skips.
     */
    public static final class Predicted implements LayerHooks.FfnOverride {
        private final List<Predictor> predictors;
        private final float threshold;
        private double skipped, neurons;

        /** @param predictors per layer, or null for the dense model */
        public Predicted(List<Predictor> predictors, float threshold) {
            this.predictors = predictors;
            this.threshold = threshold;
        }

        public LayerHooks hooks() {
            return new LayerHooks(this, null);
        }

        @Override
        public NDArray x1(int layer, LayerHooks.Ffn ffn) {
            Predictor p = predictors == null ? null : predictors.get(layer);
            if (p == null) {
                return ffn.x1();
            }
            NDManager m = ffn.input().getManager();
            NDArray fc1 = Torch.fromFloats(m, p.fc1(), new Shape(p.rank(), p.hidden()));
            NDArray fc2 = Torch.fromFloats(m, p.fc2(), new Shape(p.intermediate(), p.rank()));
            NDArray mask = Predictor.scores(ffn.input(), fc1, fc2).gte(Torch.scalar(m, threshold))
                    .toType(DataType.FLOAT32, false);                                                // [B, S, I]
            neurons += mask.getShape().size();
            skipped += mask.getShape().size() - mask.sum().getFloat();
            return ffn.x1().mul(mask);                                                               // [B, S, I]
        }
    }
}
