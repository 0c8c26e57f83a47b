package dev.prosparse.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.prosparse.model.CausalLM;
import dev.prosparse.util.Torch;
import java.util.Map;

/**
 * One optimizer step of ProSparse training: for each micro-batch, L = (CE + λ·Σ_layers mean|x1|) / grad_accum,
 * backward; then the global gradient norm, clipping and one AdamW update.
 *
 * <p>Everything a step reports (CE, L1, zero count, squared gradient norm) is accumulated on the model's device and
 * read back in one small transfer per step, after the last backward pass and before the update; a non-finite loss or
 * gradient therefore stops the run before it touches the weights.
 */
final class TrainStep {
    private final Engine engine;
    private final CausalLM model;
    private final Map<String, NDArray> params;
    private final AdamW adam;
    private final BatchSampler sampler;
    private final int batchSize, seqLen, gradAccum;
    private final double gradClip;

    TrainStep(Engine engine, CausalLM model, Map<String, NDArray> params, AdamW adam, BatchSampler sampler, Recipe recipe) {
        this.engine = engine;
        this.model = model;
        this.params = params;
        this.adam = adam;
        this.sampler = sampler;
        this.batchSize = recipe.batchSize();
        this.seqLen = recipe.seqLen();
        this.gradAccum = recipe.gradAccum();
        this.gradClip = recipe.gradClip();
    }

    /**
     * What one step measured. lmLoss and l1 are means over the micro-batches; zeroFraction is over every x1 entry of
     * every layer of the step's batches; gradNorm is the global L2 norm before clipping.
     */
    record Stats(double lmLoss, double l1, double zeroFraction, double gradNorm) {
        boolean finite() {
            return Double.isFinite(lmLoss) && Double.isFinite(l1) && Double.isFinite(gradNorm);
        }
    }

    /**
     * Runs step t (1-based) with L1 factor λ and learning rate lr. When the loss or the gradients are not finite the
     * update is skipped and the returned stats say so ({@link Stats#finite()} is false).
     */
    Stats run(int t, double lambda, double lr, NDManager parent) {
        try (NDManager scope = parent.newSubManager()) {
            NDArray lam = Torch.scalar(scope, lambda);
            NDArray accumScale = Torch.scalar(scope, 1.0 / gradAccum);
            NDArray ceSum = null, l1Sum = null, nonzeros = null;
            long entries = 0;
            for (int micro = 0; micro < gradAccum; micro++) {
                NDArray batch = Torch.fromLongs(scope, sampler.batch(t, micro), new Shape(batchSize, seqLen + 1)); // [B, T+1]
                NDArray[] io = CausalLM.splitWindow(batch);                                                      // [B, T], [B, T]
                try (GradientCollector gc = engine.newGradientCollector()) {
                    CausalLM.Output out = model.forward(io[0], true);
                    NDArray ce = CausalLM.crossEntropy(out.logits(), io[1]);                                     // []
                    NDArray l1 = null;
                    NDArray nonzero = null;
                    for (NDArray x1 : out.x1()) {                                                                 // [B, T, I]
                        NDArray m = x1.abs().mean();                                                             // mean over B·T·I
                        l1 = l1 == null ? m : l1.add(m);
                        NDArray nz = x1.countNonzero();
                        nonzero = nonzero == null ? nz : nonzero.add(nz);
                        entries += x1.getShape().size();
                    }
                    gc.backward(ce.add(l1.mul(lam)).mul(accumScale));
                    ceSum = accumulate(ceSum, ce.stopGradient());
                    l1Sum = accumulate(l1Sum, l1.stopGradient());
                    nonzeros = accumulate(nonzeros, nonzero.toType(DataType.FLOAT64, false));
                }
            }
            NDArray gradSq = AdamW.gradSquareSum(params, scope);
            // the step's one read from the device: [Σ CE, Σ L1, nonzero count, Σ g²]
            double[] r = NDArrays.stack(new NDList(ceSum.toType(DataType.FLOAT64, false), l1Sum.toType(DataType.FLOAT64, false),
                    nonzeros, gradSq.toType(DataType.FLOAT64, false))).toDoubleArray();
            Stats stats = new Stats(r[0] / gradAccum, r[1] / gradAccum, 1.0 - r[2] / entries, Math.sqrt(r[3]));
            if (!stats.finite()) {
                return stats;
            }
            double clip = gradClip > 0 ? Math.min(1.0, gradClip / (stats.gradNorm() + 1e-6)) : 1.0;
            adam.step(params, t, lr, clip, scope);
            return stats;
        }
    }

    private static NDArray accumulate(NDArray sum, NDArray x) {
        return sum == null ? x : sum.add(x);
    }
}
