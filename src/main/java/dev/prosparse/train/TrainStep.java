package dev.prosparse.train;

import dev.prosparse.optim.AdamW;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.prosparse.device.LossScaler;
import dev.prosparse.device.Precision;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.Weights;
import dev.prosparse.optim.StateBytes;
import dev.prosparse.util.Torch;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One optimizer step of ProSparse training: for each micro-batch, L = (CE + λ·Σ_layers mean|x1|) / grad_accum,
 * backward ({@link MicroBatch}: the plain way or with layer recompute); then the global gradient norm, clipping and
 * one AdamW update.
 *
 * <p>Everything a step reports (CE, L1, zero count, squared gradient norm) is accumulated on the model's device and
 * read back in one small transfer per step, after the last backward pass and before the update; a non-finite loss or
 * gradient therefore stops the run before it touches the weights.
 *
 * <p>fp16-mixed ({@link Precision}): each micro-batch computes on float16 copies of the float32 master weights
 * ({@link MixedPrecision}), whose float16 gradients libtorch sums over the micro-batches; the loss is multiplied by the {@link LossScaler}'s scale before backward and the update
 * divides it out; a step with inf/NaN gradients is skipped (weights and moments untouched; the step's gradients die
 * with its scope) and the scale halved. The statistics read back are the same one transfer.
 */
final class TrainStep {
    private static final Logger LOG = LoggerFactory.getLogger(TrainStep.class);
    private final Engine engine;
    private final CausalLM model;
    private final Map<String, NDArray> params;
    private final AdamW adam;
    private final BatchSampler sampler;
    private final int batchSize, seqLen, gradAccum;
    private final double gradClip;
    private final Precision precision;
    private final boolean recompute;
    private final LossScaler scaler;
    private final dev.prosparse.dist.DataParallel dp;   // one rank of a ZeRO-1 group (docs/distributed.md), else null
    private StateBytes stateBytes;
    private final StepPhases phases;
    private final int logEvery;
    private final boolean fused;                      // the multi-tensor norm and update (StepKernel)
    private final boolean offload;                    // masters and moments in host memory, update there (Offload)
    private final int hostThreads;                    // offload: threads of the host AdamW (recipe threads; 0: all cores)
    private NDManager copiesScope;                    // offload: the compute copies, kept from step to step
    private Weights persistentCopies;

    TrainStep(Engine engine, CausalLM model, Map<String, NDArray> params, AdamW adam, BatchSampler sampler, Recipe recipe) {
        this(engine, model, params, adam, sampler, recipe, null);
    }

    /** @param scaler the loss scaler of an fp16-mixed run (its state is saved with the run); null for fp32 */
    TrainStep(Engine engine, CausalLM model, Map<String, NDArray> params, AdamW adam, BatchSampler sampler, Recipe recipe,
            LossScaler scaler) {
        this(engine, model, params, adam, sampler, recipe, scaler, null);
    }

    /** @param dp this rank's data-parallel group and sharded optimizer ({@code adam} is then unused); null alone */
    TrainStep(Engine engine, CausalLM model, Map<String, NDArray> params, AdamW adam, BatchSampler sampler, Recipe recipe,
            LossScaler scaler, dev.prosparse.dist.DataParallel dp) {
        this.dp = dp;
        this.engine = engine;
        this.model = model;
        this.params = params;
        this.adam = adam;
        this.sampler = sampler;
        this.batchSize = recipe.batchSize();
        this.seqLen = recipe.seqLen();
        this.gradAccum = recipe.gradAccum();
        this.gradClip = recipe.gradClip();
        this.precision = recipe.precision();
        this.recompute = recipe.activationCheckpointing();
        this.phases = new StepPhases(recipe.phaseTiming());
        this.logEvery = recipe.logEvery();
        this.offload = recipe.optimizer().offload().toHost();
        this.hostThreads = Torch.threads(recipe.threads());
        this.fused = recipe.optimizer().kernel().fused(params.values().iterator().next().getDevice().isGpu(), offload);
        this.scaler = precision == Precision.FP16_MIXED ? (scaler != null ? scaler : new LossScaler()) : null;
    }

    /**
     * What one step measured. lmLoss and l1 are means over the micro-batches; zeroFraction is over every x1 entry of
     * every layer of the step's batches; gradNorm is the global L2 norm before clipping (unscaled).
     *
     * @param lossScale    the loss scale the step ran with (0 for fp32)
     * @param skipped      fp16-mixed: the gradients overflowed, the update was skipped and the scale halved
     * @param skippedTotal fp16-mixed: steps skipped since the run began (this one included)
     * @param gpuPeakBytes GPU memory in use after the step, the highest so far (−1: not on a GPU); set by the trainer
     */
    record Stats(double lmLoss, double l1, double zeroFraction, double gradNorm, double lossScale, boolean skipped,
            long skippedTotal, long gpuPeakBytes) {
        Stats(double lmLoss, double l1, double zeroFraction, double gradNorm) {
            this(lmLoss, l1, zeroFraction, gradNorm, 0, false, 0, -1);
        }

        boolean finite() {
            return Double.isFinite(lmLoss) && Double.isFinite(l1) && Double.isFinite(gradNorm);
        }

        Stats withGpuPeak(long bytes) {
            return new Stats(lmLoss, l1, zeroFraction, gradNorm, lossScale, skipped, skippedTotal, bytes);
        }
    }

    /** The loss scaler (null for fp32). */
    LossScaler scaler() {
        return scaler;
    }

    /**
     * Runs step t (1-based) with L1 factor λ and learning rate lr. When the loss or the gradients are not finite the
     * update is skipped and the returned stats say so ({@link Stats#finite()} is false; under fp16-mixed
     * {@link Stats#skipped()} is true and the run goes on unless the scale fell below 1).
     */
    Stats run(int t, double lambda, double lr, NDManager parent) {
        Stats stats = step(t, lambda, lr, parent);
        phases.end();
        if (phases.enabled() && (t % logEvery == 0 || phases.steps() >= logEvery)) {
            LOG.info(phases.drain(t));
        }
        return stats;
    }

    private Stats step(int t, double lambda, double lr, NDManager parent) {
        try {
            return scopedStep(t, lambda, lr, parent);
        } catch (RuntimeException | Error e) {
            releaseComputeCopies();     // a step that failed half-way may have left them between two weight sets
            throw e;
        }
    }

    private Stats scopedStep(int t, double lambda, double lr, NDManager parent) {
        try (NDManager scope = parent.newSubManager()) {
            double lossScale = scaler != null ? scaler.scale() : 1.0;
            NDArray lam = Torch.scalar(scope, lambda);
            NDArray lossMul = Torch.scalar(scope, lossScale / gradAccum);
            NDArray ceSum = null, l1Sum = null, nonzeros = null;
            long entries = 0;
            phases.begin(t, lam);
            // compute copies: fp16-mixed (float16, per step), and under offload (kept across steps: the update refreshes
            // them, so only the first step after a start, a resume or an evaluation casts the masters)
            Weights copies = offload ? offloadCopies(parent)
                    : scaler != null ? MixedPrecision.computeCopies(model.weights(), precision.computeType(), scope.getDevice(), true, scope)
                    : null;
            CausalLM m = copies != null ? model.withWeights(copies) : model;
            phases.mark(StepPhases.Phase.CAST);
            Runnable forwardDone = () -> phases.mark(StepPhases.Phase.FORWARD);
            for (int micro = 0; micro < gradAccum; micro++) {
                // one scope per micro-batch: its activations (and recompute's layer inputs) are freed before the next,
                // so grad_accum costs no memory beyond the summed gradients (docs/memory-plan.md)
                try (NDManager ms = scope.newSubManager(); GradientCollector gc = engine.newGradientCollector()) {
                    NDArray batch = Torch.fromLongs(ms, sampler.batch(t, dp == null ? micro : dp.microBatchIndex(micro)), new Shape(batchSize, seqLen + 1)); // [B, T+1]
                    NDArray[] io = CausalLM.splitWindow(batch);                                                  // [B, T], [B, T]
                    MicroBatch.Result r = recompute
                            ? MicroBatch.recompute(m, io[0], io[1], lam, lossMul, gc, ms, forwardDone)
                            : MicroBatch.plain(m, io[0], io[1], lam, lossMul, gc, ms, forwardDone);
                    ceSum = accumulate(ceSum, r.ce(), scope);
                    l1Sum = accumulate(l1Sum, r.l1(), scope);
                    nonzeros = accumulate(nonzeros, r.nonzero(), scope);
                    entries += r.entries();
                }
                phases.mark(StepPhases.Phase.BACKWARD);
            }
            // autograd summed the micro-batches' gradients in place: on the float16 copies (fp16-mixed) or the masters
            Map<String, NDArray> grads = AdamW.gradients(copies != null ? copies.asMap() : params, scope);
            if (stateBytes == null) {
                stateBytes = stateBytes(copies, grads);
                LOG.info("{}; optimizer step {}", stateBytes.describe(), offload
                        ? "offloaded (one-pass host AdamW on " + hostThreads + " threads)" : fused ? "fused (multi-tensor kernels)" : "per tensor");
            }
            NDArray gradShard = dp != null ? dp.reduceGradients(grads, scope) : null;   // ZeRO-1: this rank's mean-gradient shard
            NDArray gradSq = dp != null ? dp.optimizer().shardSquareSum(gradShard)
                    : fused ? AdamW.fusedSquareSum(grads.values(), scope) : AdamW.squareSum(grads.values(), scope);
            phases.mark(StepPhases.Phase.NORM);
            // the step's one read from the device: [Σ CE, Σ L1, nonzero count, Σ g²] (summed over ranks when distributed)
            NDArray sums = NDArrays.stack(new NDList(ceSum.toType(DataType.FLOAT64, false), l1Sum.toType(DataType.FLOAT64, false),
                    nonzeros, gradSq.toType(DataType.FLOAT64, false)));
            double[] r = (dp != null ? dp.sumOverRanks(sums) : sums).toDoubleArray();
            phases.mark(StepPhases.Phase.HOST_READ);
            int world = dp != null ? dp.worldSize() : 1;
            Stats stats = new Stats(r[0] / (gradAccum * world), r[1] / (gradAccum * world), 1.0 - r[2] / ((double) entries * world),
                    Math.sqrt(r[3]) / lossScale,
                    scaler != null ? lossScale : 0, false, scaler != null ? scaler.skipped() : 0, -1);
            if (scaler != null) {
                if (!scaler.update(stats.finite())) {
                    if (offload) {
                        AdamW.zeroGradients(grads.values());   // the copies persist; their masters did not change
                    }
                    return new Stats(stats.lmLoss(), stats.l1(), stats.zeroFraction(), stats.gradNorm(), lossScale, true,
                            scaler.skipped(), -1);
                }
            } else if (!stats.finite()) {
                if (offload) {
                    AdamW.zeroGradients(grads.values());
                }
                return stats;
            }
            double clip = gradClip > 0 ? Math.min(1.0, gradClip / (stats.gradNorm() + 1e-6)) : 1.0;
            if (dp != null) {
                dp.step(gradShard, t, lr, clip / lossScale, scope);
            } else if (offload) {
                adam.offloadStep(params, grads, copies.asMap(), t, lr, clip / lossScale, hostThreads, scope);
            } else if (fused) {
                adam.onePassStep(params, grads, t, lr, clip / lossScale);
            } else {
                adam.step(params, grads, t, lr, clip / lossScale, scope);
            }
            phases.mark(StepPhases.Phase.UPDATE);
            return stats;
        }
    }

    /**
     * Optimizer offload: the device compute copies (in the compute dtype, requiring gradients), built from the host
     * masters when there are none and then kept; {@link AdamW#offloadStep} writes each step's new weights into them.
     */
    private Weights offloadCopies(NDManager parent) {
        if (persistentCopies == null) {
            copiesScope = parent.newSubManager();
            persistentCopies = MixedPrecision.computeCopies(model.weights(), precision.computeType(), parent.getDevice(),
                    true, copiesScope);
        }
        return persistentCopies;
    }

    /**
     * Frees the offload compute copies and their gradients (nothing without offload): before an evaluation, which
     * reads the masters, and when training ends, so that neither holds them on the device. The next step rebuilds
     * them from the masters, which gives the same values (the update writes the masters' round-to-nearest cast).
     */
    void releaseComputeCopies() {
        if (copiesScope != null) {
            copiesScope.close();
        }
        copiesScope = null;
        persistentCopies = null;
    }

    /** The offload compute copies kept for the next step (null before the first step or after a release; tests). */
    Weights computeCopies() {
        return persistentCopies;
    }

    /** What the step holds per parameter, from its arrays (logged once, at the first step). */
    private StateBytes stateBytes(Weights copies, Map<String, NDArray> grads) {
        long master = StateBytes.of(params.values());
        long opt = adam != null ? adam.stateBytes() : dp.optimizer().stateBytes();   // ZeRO-1: this rank's shard
        return copies != null
                ? new StateBytes(StateBytes.count(params.values()), StateBytes.of(copies.asMap().values()),
                        StateBytes.of(grads.values()), master, opt, offload ? master + opt : 0)
                : new StateBytes(StateBytes.count(params.values()), master, StateBytes.of(grads.values()), 0,
                        opt, 0);
    }

    /** The training state per parameter, known after the first step (null before). */
    StateBytes stateBytes() {
        return stateBytes;
    }

    /** sum + x, kept in {@code scope} (x belongs to a micro-batch's scope, closed before the step ends). */
    private static NDArray accumulate(NDArray sum, NDArray x, NDManager scope) {
        NDArray v = sum == null ? x : sum.add(x);
        v.attach(scope);
        return v;
    }

    /** The master weights (for tests). */
    Weights weights() {
        return model.weights();
    }
}
