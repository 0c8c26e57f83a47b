package dev.prosparse.train;

import dev.prosparse.optim.AdamW;
import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.device.DeviceSetup;
import dev.prosparse.device.GpuErrors;
import dev.prosparse.device.LossScaler;
import dev.prosparse.device.Precision;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.HfCheckpoint;
import dev.prosparse.config.Activation;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.Weights;
import dev.prosparse.report.RunReports;
import dev.prosparse.report.TargetOutcome;
import dev.prosparse.sparsity.SparsityEvaluator;
import dev.prosparse.sparsity.SparsityResult;
import dev.prosparse.util.AtomicFiles;
import dev.prosparse.util.Json;
import dev.prosparse.util.Progress;
import dev.prosparse.util.Torch;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ProSparse training recipe (docs/method.md): {@link #run} = setup → one {@link TrainStep} per global step (log,
 * evaluate, save) → final checkpoint and report. No inheritance; each phase is a method that fits on a screen.
 *
 * <p>λ(t) comes from a {@link LambdaPolicy} (the recipe's stage table by default); the learning rate from
 * {@link LrSchedule} over the whole run.
 */
public final class Trainer {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    private final Recipe recipe;
    private final L1Schedule schedule;
    private final LambdaPolicy policy;
    private final RunDir run;
    private final Path modelDir;
    private final int threads;
    private final MetricsLog log;
    private final Checkpointer saver;
    private final DistributedRun dist;   // one rank of a data-parallel run (docs/distributed.md), or single()
    private volatile boolean stopRequested;
    private volatile int stopAfterStep = Integer.MAX_VALUE;
    private Path probeTokenCache;      // non-null: a calibration probe (see asProbe)

    /**
     * @param modelDir the checkpoint to start from (the recipe's model, resolved)
     * @param threads  libtorch threads (0 = the recipe's {@code threads}, which 0 means all cores)
     */
    public Trainer(Recipe recipe, RunDir run, Path modelDir, int threads) {
        this(recipe, run, modelDir, threads, DistributedRun.detect());
    }

    Trainer(Recipe recipe, RunDir run, Path modelDir, int threads, DistributedRun dist) {
        this.dist = dist;
        this.recipe = recipe;
        this.schedule = new L1Schedule(recipe.stages());
        this.policy = choosePolicy(recipe, schedule);
        this.run = run;
        this.modelDir = modelDir;
        this.threads = threads > 0 ? threads : recipe.threads();
        this.log = new MetricsLog(run, schedule, dist.isRoot());
        this.saver = new Checkpointer(recipe, run, modelDir, schedule);
    }

    /** λ from the stage table, or from the target-sparsity controller when the recipe sets {@code l1}. */
    private static LambdaPolicy choosePolicy(Recipe recipe, L1Schedule schedule) {
        if (recipe.l1() == null) {
            return new ScheduledLambda(schedule);
        }
        TargetSparsityController c = new TargetSparsityController(schedule, recipe.l1());
        LOG.info(c.describe());
        return c;
    }

    /** A calibration probe (docs/target-sparsity.md): metrics only, no saves, charts or final/; a stop ends it unsaved. */
    public Trainer asProbe(Path tokenCache) {
        this.probeTokenCache = tokenCache;
        return this;
    }

    private boolean probe() { return probeTokenCache != null; }

    /** Asks the loop to save and stop after the current step (Ctrl-C). */
    public void requestStop() {
        stopRequested = true;
    }

    /** Stops (saving first) once step {@code step} is done, as Ctrl-C at that moment would: for tests and tools. */
    public void requestStopAfter(int step) {
        stopAfterStep = step;
    }

    /** What a finished run produced. */
    public record Result(Path finalDir, SparsityResult beforeShift, SparsityResult afterShift, int steps) {}

    public Result run() {
        try (TrainSession s = setupReportingOutOfMemory()) {
            train(s);
            return finish(s);
        }
    }

    // ---- setup ----------------------------------------------------------------------------------------------------

    /** {@link #setup}, with running out of memory there (weights, optimizer state, first evaluation) as one line, exit 5. */
    private TrainSession setupReportingOutOfMemory() {
        try {
            return setup();
        } catch (RuntimeException | OutOfMemoryError e) {
            ProsparseException oom = e instanceof ProsparseException ? null
                    : TrainingPlan.outOfMemoryAtSetup(e, recipe, modelDir, Torch.device());
            if (oom != null) {
                throw oom;
            }
            throw e;
        }
    }

    private TrainSession setup() {
        HfCheckpoint source = HfCheckpoint.open(modelDir);
        Activation act = activation();
        double actParam = act.checkParam(recipe.threshold(), "recipe key threshold");
        Engine engine = Torch.start(threads);
        Device device = DeviceSetup.forTraining(dist.deviceSpec(recipe.deviceSpec(), recipe.device(), "recipe key device"),
                recipe.precision(), threads, "recipe key device", "recipe key precision");
        dist.connect(device);        // ranks other than 0 touch the run folder only once rank 0 has joined (it exists)
        TrainData data = TrainData.load(recipe, source, probe() ? probeTokenCache : run.path().getParent().resolve(".token-cache"));
        if (dist.isRoot()) {
            run.removeStaleTemporaries();
        }
        RunDir.Save resumeFrom = run.newestSave().orElse(null);
        Path weightsDir = resumeFrom != null ? resumeFrom.dir() : modelDir;
        LOG.info("libtorch threads: {}; precision {}; attention {}{}", ai.djl.pytorch.jni.JniUtils.getNumThreads(),
                recipe.precision(), recipe.attention().describe(device),
                recipe.activationCheckpointing() ? "; activation checkpointing (layer recompute)" : "");
        NDManager base = Torch.newBaseManager();
        try {
            ModelConfig config = resumeFrom != null ? ModelConfig.read(weightsDir) : source.config();
            Weights weights;
            try (CheckpointFiles files = CheckpointFiles.open(weightsDir)) {
                weights = Weights.load(config, files, MixedPrecision.stateManager(base, recipe.optimizer().offload()));
            }
            weights.asMap().values().forEach(p -> p.setRequiresGradient(true));
            Recipe.Optimizer o = recipe.optimizer();
            AdamW adam = dist.active() ? null : new AdamW(weights.manager(), weights.asMap(), o.betas().get(0), o.betas().get(1), o.eps(), o.weightDecay());
            TrainSession s = new TrainSession(base, engine, data, config, weights, new CausalLM(config, weights, act, actParam).withAttention(recipe.attention()), adam,
                    device, recipe.precision() == Precision.FP16_MIXED ? new LossScaler() : null);
            s.dp = dist.dataParallel(base, weights.asMap(), o);
            if (resumeFrom != null) {
                resume(s, resumeFrom);
            } else {
                start(s);
            }
            return s;
        } catch (RuntimeException e) {
            base.close();
            throw e;
        }
    }

    private Activation activation() {
        return Activation.parse(recipe.activation(), "recipe key activation");
    }

    private void resume(TrainSession s, RunDir.Save from) {
        JsonNode state = from.trainerState();
        s.step = state.path("global_step").asInt();
        s.tokensSeen = state.path("tokens_seen").asLong();
        s.lastSaved = s.step;
        dist.loadOptimizer(s.adam, s.dp, from.dir(), s.params);
        policy.restoreState(state);
        if (s.scaler != null) {
            s.scaler.restoreState(state);
        }
        if (dist.isRoot()) {
            run.truncateMetricsAfter(s.step);
        }
        LOG.info("Resuming {} from {} (step {}/{})", run.path(), from.dir().getFileName(), s.step, schedule.totalSteps());
    }

    private void start(TrainSession s) {
        if (dist.isRoot()) {
            run.truncateMetricsAfter(-1); // a resumed run that never saved starts over: drop its old lines
        }
        LOG.info("Starting from {}: activation {} → {}; {} steps in {} stages, {} tokens per step ({})", modelDir,
                s.config.hiddenAct().hfName(), s.model.activation().hfName(), schedule.totalSteps(), schedule.stages().size(),
                tokensPerStep(), dist.describeBatch(recipe));
        if (!probe()) {
            log.eval(0, -1, 0.0, evaluate(s.model, s));
        }
    }

    private long tokensPerStep() {
        return (long) recipe.batchSize() * recipe.gradAccum() * recipe.seqLen() * dist.world();
    }

    // ---- train ----------------------------------------------------------------------------------------------------

    private void train(TrainSession s) {
        TrainStep step = new TrainStep(s.engine, s.model, s.params, s.adam, s.data.sampler(), recipe, s.scaler, s.dp);
        LrSchedule lrs = new LrSchedule(recipe.optimizer().lr(), recipe.schedule().warmupSteps(),
                recipe.schedule().minLrRatio(), schedule.totalSteps());
        int total = schedule.totalSteps();
        int first = s.step + 1;
        long t0 = System.nanoTime();
        try (Progress bar = Progress.start("train", total, "steps")) {
            for (int t = first; t <= total; t++) {
                if (stopRequested && t == first) {
                    // Ctrl-C before any step of this session: nothing new to save
                    throw new ProsparseException(ProsparseException.Kind.INTERRUPTED, "interrupted before step " + t
                            + "; nothing new was saved" + (s.step > 0 ? "; continue with: prosparse train --resume " + run.path() : ""));
                }
                double lambda = policy.lambda(t);
                double lr = lrs.at(t);
                TrainStep.Stats stats = runStep(step, s, t, lambda, lr);
                if (s.scaler != null ? s.scaler.diverged() : !stats.finite()) {
                    throw diverged(t, lambda, s.lastSaved, s.scaler);
                }
                policy.observe(t, stats.zeroFraction());
                s.step = t;
                s.tokensSeen += tokensPerStep();
                if (isLogStep(t)) {
                    double secs = (System.nanoTime() - t0) / 1e9;
                    int done = t - first + 1;
                    log.step(t, lambda, lr, stats, s.tokensSeen, done * tokensPerStep() / secs, secs / done * (total - t), policy, bar);
                } else {
                    bar.update(t);
                }
                try {
                    afterStep(s, t, lambda, lr, step::releaseComputeCopies);
                } catch (ai.djl.engine.EngineException e) {
                    throw GpuErrors.outOfMemory(e, t, s.device, s.gpuPeak, recipe.memoryKnobs(), run.path(), lastSave(s.lastSaved));
                }
            }
        } finally {
            step.releaseComputeCopies();           // the final evaluation reads the masters
        }
    }

    /** One step; on a GPU also samples the memory in use; a CUDA out-of-memory error becomes one line with the knobs. */
    private TrainStep.Stats runStep(TrainStep step, TrainSession s, int t, double lambda, double lr) {
        try {
            TrainStep.Stats stats = step.run(t, lambda, lr, s.base);
            s.gpuPeak = Math.max(s.gpuPeak, DeviceSetup.gpuMemoryUsed(s.device));
            return stats.withGpuPeak(s.gpuPeak);
        } catch (ai.djl.engine.EngineException e) {
            throw GpuErrors.outOfMemory(e, t, s.device, Math.max(s.gpuPeak, DeviceSetup.gpuMemoryUsed(s.device)), recipe.memoryKnobs(),
                    run.path(), lastSave(s.lastSaved));
        }
    }

    private String lastSave(int lastSaved) {
        return lastSaved > 0 ? run.path().resolve(RunDir.saveName(lastSaved)).toString() : "none (no save yet)";
    }

    private boolean isLogStep(int t) {
        return t % recipe.logEvery() == 0 || t == schedule.totalSteps() || isStageEnd(t);
    }

    private boolean isStageEnd(int t) {
        return t == schedule.end(schedule.stageAt(t));
    }

    /** Evaluation, saving, stage-end reports and Ctrl-C handling once step t is done. */
    private void afterStep(TrainSession s, int t, double lambda, double lr, Runnable beforeEval) {
        boolean stageEnd = isStageEnd(t);
        boolean evalNow = probe() ? t == schedule.totalSteps() // a probe needs only its final result
                : stageEnd || (recipe.eval().every() > 0 && t % recipe.eval().every() == 0);
        if (evalNow) {
            beforeEval.run();                      // offload: the compute copies leave the device while it evaluates
            s.lastEval = evaluate(s.model, s);
            log.eval(t, schedule.stageAt(t), lambda, s.lastEval);
        }
        if (t >= stopAfterStep) {
            stopRequested = true;
        }
        if (probe() && stopRequested && t < schedule.totalSteps()) {
            throw new ProsparseException(ProsparseException.Kind.INTERRUPTED, "probe stopped at step " + t);
        } else if (probe()) {
            return;
        }
        boolean periodic = recipe.save().every() > 0 && t % recipe.save().every() == 0;
        if (stageEnd || periodic || stopRequested) {
            dist.save(t, run, s.adam, s.dp, opt -> saver.save(new Checkpointer.Progress(t, lambda, lr, s.tokensSeen), s.config,
                    s.weights, opt, s.model.activation(), s.model.activationParam(), policy, s.scaler));
            s.lastSaved = t;
        }
        if (stageEnd) {
            writeReports();
        }
        if (stopRequested && t < schedule.totalSteps()) {
            String msg = "interrupted at step " + t + "/" + schedule.totalSteps() + "; saved "
                    + run.path().resolve(RunDir.saveName(t)) + "; continue with: prosparse train --resume " + run.path();
            LOG.warn(msg);
            throw new ProsparseException(ProsparseException.Kind.INTERRUPTED, msg);
        }
    }

    /** Charts and summary.md so far, in {@code <run>/reports/}; a failure there is logged, never fatal to training. */
    private void writeReports() {
        if (!dist.isRoot()) {
            return;
        }
        try {
            RunReports.write(run.path());
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("Could not write the run reports in {} ({}); training goes on, and `prosparse report training --run {}`"
                    + " draws them later", run.path().resolve("reports"), e, run.path());
        }
    }

    // ---- final ----------------------------------------------------------------------------------------------------

    /** The last weights as {@code final/} (with the FATReLU shift when final_threshold and final_format say so). */
    private Result finish(TrainSession s) {
        int total = schedule.totalSteps();
        Activation act = s.model.activation();
        double actParam = s.model.activationParam();
        SparsityResult trained = s.lastEval != null ? s.lastEval : evaluate(s.model, s);
        SparsityResult shifted = trained;
        Activation finalAct = act;
        double finalParam = actParam;
        if (recipe.finalThreshold() != null) {
            shifted = evaluate(new CausalLM(s.config, s.weights, Activation.FATRELU, recipe.finalThreshold())
                    .withAttention(recipe.attention()), s);
            if (recipe.finalFormat() == Recipe.FinalFormat.FATRELU) {
                finalAct = Activation.FATRELU;
                finalParam = recipe.finalThreshold();
            }
        }
        ObjectNode report = Json.MAPPER.createObjectNode();
        report.put("steps", total);
        report.set("trained", FinalReport.result(act, actParam, trained));
        if (recipe.finalThreshold() != null) {
            report.set("shifted", FinalReport.result(Activation.FATRELU, recipe.finalThreshold(), shifted));
        }
        report.put("final_format", recipe.finalFormat().yaml());
        report.set("final", FinalReport.result(finalAct, finalParam, finalAct == act ? trained : shifted));
        TargetOutcome target = FinalReport.putTarget(report, recipe, trained);
        Path finalDir = probe() ? null : run.path().resolve("final");
        if (dist.isRoot()) {         // one rank writes the weights and the report
            if (!probe()) {
                saver.writeFinal(s.config, s.weights, finalAct, finalParam, policy.lambda(total));
            }
            AtomicFiles.writeString(run.path().resolve("final_report.json"), Checkpointer.pretty(report) + "\n");
        }
        log.finish(total, report);
        LOG.info(String.format(Locale.ROOT, "Trained: perplexity %.2f, sparsity %.2f%%  (%s)", trained.perplexity(),
                100 * trained.zeroFraction(), act.hfName()));
        if (recipe.finalThreshold() != null) {
            LOG.info(String.format(Locale.ROOT, "With FATReLU t=%s: perplexity %.2f, sparsity %.2f%%%s", recipe.finalThreshold(),
                    shifted.perplexity(), 100 * shifted.zeroFraction(),
                    finalAct == Activation.FATRELU ? "" : " (not applied: final_format is relu)"));
        }
        if (target != null) {
            (target.missed() ? LOG.atWarn() : LOG.atInfo()).log(target.sentence());
        }
        if (probe()) {
            return new Result(null, trained, finalAct == act ? trained : shifted, total);
        }
        writeReports();
        LOG.info("Final checkpoint: {} (hidden_act {}: {}); reports in {}", finalDir, finalAct.hfName(), FinalReport.loadsWhere(finalAct),
                run.path().resolve("reports"));
        return new Result(finalDir, trained, finalAct == act ? trained : shifted, total);
    }

    private SparsityResult evaluate(CausalLM model, TrainSession s) {
        return Torch.noGrad(() -> MixedPrecision.onDevice(model, s.base, m -> SparsityEvaluator.evaluate(m, s.base,
                s.data.eval(), s.data.windows(), SparsityEvaluator.DEFAULT_BATCH, null)));
    }

    private ProsparseException diverged(int t, double lambda, int lastSaved, LossScaler scaler) {
        String last = lastSave(lastSaved);
        if (scaler != null) {
            return new ProsparseException(ProsparseException.Kind.DIVERGED, String.format(Locale.ROOT,
                    "the fp16 loss scale fell below 1 at step %d (stage %d, λ=%.4g; %d steps skipped for inf/NaN"
                            + " gradients): the gradients overflow even unscaled, so training has diverged; nothing after"
                            + " the last good checkpoint was saved. Last good checkpoint: %s. Lower the learning rate"
                            + " (--set optimizer.lr=…) or λ, or use --precision fp32, and continue with --resume %s", t,
                    schedule.stageAt(t) + 1, lambda, scaler.skipped(), last, run.path()));
        }
        return new ProsparseException(ProsparseException.Kind.DIVERGED, String.format(Locale.ROOT,
                "the loss or the gradients became NaN or infinite at step %d (stage %d, λ=%.4g); nothing after the last"
                        + " good checkpoint was saved. Last good checkpoint: %s. Lower the learning rate (--set optimizer.lr=…)"
                        + " or λ and continue with --resume %s", t, schedule.stageAt(t) + 1, lambda, last, run.path()));
    }
}
