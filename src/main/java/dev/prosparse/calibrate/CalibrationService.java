package dev.prosparse.calibrate;

import dev.prosparse.ProsparseException;
import dev.prosparse.device.DeviceSpec;
import dev.prosparse.hub.Presets;
import dev.prosparse.train.Recipe;
import dev.prosparse.train.RunDir;
import dev.prosparse.train.Trainer;
import dev.prosparse.util.CtrlC;
import dev.prosparse.util.OutputFolder;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code prosparse calibrate} as one service (docs/target-sparsity.md, "Calibration"): {@link #prepare} checks every
 * flag, the recipe and {@code --out} before anything is created; {@link #run} trains the probes in a temporary folder
 * (removed at the end, on an error and on Ctrl-C), fits, judges the fit ({@link FitVerdict}) and writes
 * {@code calibration.md} and one recipe per reachable target ({@link CalibrationOutput}).
 */
public final class CalibrationService {
    private static final Logger LOG = LoggerFactory.getLogger(CalibrationService.class);

    /** Trains one probe recipe in {@code dir} and returns {sparsity, perplexity}; hands {@code stopper} what stops it. */
    public interface ProbeRunner {
        double[] run(Recipe probe, Path dir, Consumer<Runnable> stopper);
    }

    private final CalibrationRequest q;
    private final List<String> sets;       // the recipe overrides the written recipes keep
    private final List<String> probeSets;  // and those of the probes (the device is theirs only)
    private final Recipe base;
    private final Calibrator.Plan plan;
    private volatile boolean stop;
    private volatile Runnable stopCurrent = () -> { };
    private volatile Path work;

    private CalibrationService(CalibrationRequest q, List<String> sets, List<String> probeSets, Recipe base,
            Calibrator.Plan plan) {
        this.q = q;
        this.sets = sets;
        this.probeSets = probeSets;
        this.base = base;
        this.plan = plan;
    }

    /** Everything that can be checked before a probe runs; creates nothing. */
    public static CalibrationService prepare(CalibrationRequest q) {
        checkFlags(q);
        List<String> sets = new ArrayList<>(List.of("model=" + q.model()));
        if (q.data() != null) {
            sets.add("data.train=" + q.data());
            sets.add("data.eval=" + q.data());
        }
        List<String> probeSets = new ArrayList<>(sets);
        if (q.device() != null) {
            probeSets.add("device=" + q.device());
        }
        Recipe base = Recipe.load(q.config(), sets);
        Calibrator.checkCalibratable(base, q.config());
        Calibrator.Plan plan = plan(q, base);
        Calibrator.probeRecipe(q.config(), probeSets, base, plan, plan.lambdas().get(0), Path.of(System.getProperty("java.io.tmpdir")));
        OutputFolder.checkWritable(q.out(), "--out");
        CalibrationOutput.checkOut(q.out(), q.force());
        return new CalibrationService(q, List.copyOf(sets), List.copyOf(probeSets), base, plan);
    }

    public Recipe base() {
        return base;
    }

    public Calibrator.Plan plan() {
        return plan;
    }

    /** What the probes cost, printed before the first; short probes are warned about. */
    public String budget() {
        long full = CalibrationReport.fullRunTokens(base);
        if (plan.tokensPerProbe() < full / 2) {
            LOG.warn(String.format(Locale.ROOT, "each probe trains on %,d tokens, less than half of one full run (%,d): sparsity"
                    + " at a given λ keeps rising with the tokens trained, so short probes under-predict the full run's"
                    + " sparsity and the λ_S they give tends to overshoot (docs/target-sparsity.md)", plan.tokensPerProbe(), full));
        }
        return CalibrationReport.budget(plan, base);
    }

    /** Asks the probes to stop (Ctrl-C): the running one ends at its next step, no further one starts. */
    public void requestStop() {
        stop = true;
        stopCurrent.run();
    }

    /**
     * Runs the probes on {@code modelDir} with the trainer, Ctrl-C included: a shutdown hook stops the running probe
     * and waits until its folder is removed. Returns the files written.
     */
    public List<Path> run(Path modelDir, PrintStream out) {
        Path tokenCache = tokenCache(base);
        ProbeRunner trainer = (probe, dir, stopper) -> {
            Trainer t = new Trainer(probe, RunDir.create(dir, probe.toYaml()), modelDir, q.threads()).asProbe(tokenCache);
            stopper.accept(t::requestStop);
            Trainer.Result res = t.run();
            return new double[] {res.afterShift().zeroFraction(), res.afterShift().perplexity()};
        };
        // on Ctrl-C: stop the running probe, wait for it, then remove the probe folder anyway
        return CtrlC.run("prosparse-calibrate-ctrl-c", this::requestStop, Duration.ofMinutes(2), this::removeWork,
                () -> run(trainer, out));
    }

    /** The probes with {@code runner}, the fit, the verdict and the outputs; the probe folder is always removed. */
    public List<Path> run(ProbeRunner runner, PrintStream out) {
        List<Calibrator.Probe> probes = probes(runner, out);
        if (probes.stream().filter(p -> !p.heldOut() && p.sparsity() > 0 && p.sparsity() < 1).count() < 2) {
            throw ProsparseException.usage("the probes measured sparsities of 0% or 100%, which no fit can use; give"
                    + " longer probes (--probe-steps) or other λ_S (--lambdas)");
        }
        Calibrator.Result r = Calibrator.fit(probes);
        FitVerdict v = FitVerdict.judge(r, q.targets(), plan);
        String report = CalibrationReport.render(r, v, plan);
        out.print(report);
        out.flush();
        return new CalibrationOutput(q, sets, base).write(r, v, report, out);
    }

    private List<Calibrator.Probe> probes(ProbeRunner runner, PrintStream out) {
        List<Calibrator.Probe> probes = new ArrayList<>();
        int n = plan.lambdas().size();
        try {
            work = Files.createTempDirectory("prosparse-calibrate-");
        } catch (IOException e) {
            throw ProsparseException.io("Cannot create the probe folder under " + System.getProperty("java.io.tmpdir")
                    + " (the Java temporary folder; set it with -Djava.io.tmpdir=…): " + e.getMessage(), e);
        }
        long t0 = System.nanoTime();
        try {
            for (int i = 0; i < n; i++) {
                if (stop) {
                    throw new ProsparseException(ProsparseException.Kind.INTERRUPTED, "stopped");
                }
                double lam = plan.lambdas().get(i);
                Recipe probe = Calibrator.probeRecipe(q.config(), probeSets, base, plan, lam, work);
                double[] sp = runner.run(probe, work.resolve(String.format(Locale.ROOT, "probe-%02d", i)), r -> {
                    stopCurrent = r;
                    if (stop) {
                        r.run();
                    }
                });
                probes.add(new Calibrator.Probe(lam, plan.heldOut().contains(i), sp[0], sp[1]));
                out.printf(Locale.ROOT, "probe λ_S=%s: sparsity %.2f%%, perplexity %.2f  (%d/%d, %.0f s so far)%n", lam,
                        100 * sp[0], sp[1], i + 1, n, (System.nanoTime() - t0) / 1e9);
                out.flush();
            }
            return probes;
        } catch (RuntimeException | Error e) {
            String where = String.format(Locale.ROOT, "during probe %d/%d (λ_S %s); removed its probe folder %s (%d of %d"
                    + " probes done, their results printed above); nothing was written to --out %s", probes.size() + 1, n,
                    Calibrator.num(plan.lambdas().get(probes.size())), work, probes.size(), n, q.out());
            removeWork();
            if (stop || e instanceof ProsparseException p && p.kind() == ProsparseException.Kind.INTERRUPTED) {
                LOG.warn("calibrate interrupted {}", where); // said here too: on Ctrl-C the JVM may exit before the error line
                throw new ProsparseException(ProsparseException.Kind.INTERRUPTED, "calibrate interrupted " + where, e);
            }
            LOG.error("calibrate failed {}", where);
            throw e;
        } finally {
            removeWork();
        }
    }

    /** Deletes the probe folder, if any; says so when it cannot. */
    private synchronized void removeWork() {
        Path w = work;
        if (w == null || !Files.exists(w)) {
            return;
        }
        try {
            CalibrationOutput.deleteTree(w);
        } catch (IOException | RuntimeException e) {
            System.err.println("warning: could not remove the probe folder " + w + " (" + e + "); delete it by hand");
        }
    }

    /** The token cache train uses for this recipe's data: {@code <output_dir>/.token-cache}. */
    static Path tokenCache(Recipe recipe) {
        Path dir = Path.of(recipe.outputDir());
        return (dir.isAbsolute() ? dir : Presets.home().resolve(dir)).resolve(".token-cache");
    }

    /** The flags that need no recipe. */
    private static void checkFlags(CalibrationRequest q) {
        for (double t : q.targets()) {
            if (!(t > 0 && t < 1)) {
                throw ProsparseException.usage("--targets " + t + ": each target must be in (0, 1), for example --targets 0.8,0.9");
            }
        }
        if (q.lambdas() != null) {
            for (double l : q.lambdas()) {
                if (!(l > 0) || Double.isInfinite(l)) {
                    throw ProsparseException.usage("--lambdas " + l + ": each probe λ_S must be a positive number, for example"
                            + " --lambdas 2,5,10,20,40");
                }
            }
        }
        if (q.device() != null) {
            DeviceSpec.parse(q.device(), "--device");
        }
        if (q.steps() != null && q.steps() < 10 || q.batch() != null && q.batch() < 1 || q.seqLen() != null && q.seqLen() < 8
                || q.windows() < 1) {
            throw ProsparseException.usage("--probe-steps must be ≥ 10, --probe-batch ≥ 1, --probe-seq-len ≥ 8 and"
                    + " --probe-windows ≥ 1, for example --probe-steps 600 --probe-batch 8 --probe-seq-len 256");
        }
    }

    /** The probes: each flag given, else its default from the recipe ({@link ProbeDefaults}). */
    static Calibrator.Plan plan(CalibrationRequest q, Recipe base) {
        List<Double> lams = q.lambdas() != null ? q.lambdas() : ProbeDefaults.lambdas(base);
        List<Integer> held = q.heldOut() != null ? List.copyOf(new LinkedHashSet<>(q.heldOut())) : ProbeDefaults.heldOut(lams.size());
        for (int i : held) {
            if (i < 0 || i >= lams.size()) {
                throw ProsparseException.usage("--held-out " + i + ": must index the " + lams.size() + " probe λ_S values "
                        + lams + " (0.." + (lams.size() - 1) + "), for example --held-out " + lams.size() / 2);
            }
        }
        int fitted = lams.size() - held.size();
        if (fitted < ProbeDefaults.MIN_FITTED) {
            throw ProsparseException.usage(String.format(Locale.ROOT, "%d probe λ_S values with %d held out leave %d for the"
                    + " fit, which needs at least %d: give more --lambdas or fewer --held-out, for example --lambdas"
                    + " 2,5,10,20,40 --held-out 2", lams.size(), held.size(), fitted, ProbeDefaults.MIN_FITTED));
        }
        boolean recipeBatch = q.batch() == null;
        return new Calibrator.Plan(lams, held, q.steps() != null ? q.steps() : ProbeDefaults.steps(base),
                recipeBatch ? base.batchSize() : q.batch(), recipeBatch ? base.gradAccum() : 1,
                q.seqLen() != null ? q.seqLen() : base.seqLen(), q.windows(), q.threads());
    }
}
