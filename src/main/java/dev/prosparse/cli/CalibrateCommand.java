package dev.prosparse.cli;

import dev.prosparse.ProsparseException;
import dev.prosparse.device.DeviceSpec;
import dev.prosparse.train.Calibrator;
import dev.prosparse.train.ProbeDefaults;
import dev.prosparse.train.Recipe;
import dev.prosparse.train.RunDir;
import dev.prosparse.train.Trainer;
import dev.prosparse.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code prosparse calibrate}: which λ gives which sparsity on this model, from short probe runs. */
@Command(name = "calibrate",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Find the λ that gives a target sparsity on a model: probe runs of the recipe's stage table",
            "(compressed in time, scaled to end at each probe λ_S), a fit of sparsity against λ_S (the ProSparse",
            "paper's law 100 − exp(a·λ^b + c), or a power law in density, whichever predicts the held-out probes",
            "better), and one recipe per target with the stage table scaled to the λ_S the fit gives.",
            "By default the probes have the recipe's batch shape and half its steps, at λ_S × 0.1, 0.25, 0.5, 1, 2 with",
            "the middle one held out: about 2.5 full runs of compute, printed before the first probe. Shorter probes",
            "under-predict the full run's sparsity, so the λ_S they give overshoots (docs/target-sparsity.md)."},
        footerHeading = "%nExamples:%n",
        footer = {"  prosparse calibrate --model checkpoints/tiny-llama --targets 0.9 --config configs/train/prosparse-tiny.yaml",
            "  prosparse calibrate --model tiny-minicpm --targets 0.9 --config configs/train/prosparse-minicpm-tiny.yaml",
            "  prosparse calibrate --model ./my-model --data corpus.jsonl --targets 0.9 --lambdas 1,3,10,30,100",
            "  prosparse calibrate --model tiny-llama --targets 0.9 --probe-steps 300 --held-out 1,3"})
public final class CalibrateCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(CalibrateCommand.class);

    @Option(names = "--model", required = true, paramLabel = "M", description = "Model to calibrate: a preset, folder or hub id (as the recipe key model).")
    String model;

    @Option(names = "--data", paramLabel = "D", description = "Training and evaluation text for the probes (.jsonl, .jsonl.gz, .txt or embedded:*). Default: the recipe's data.")
    String data;

    @Option(names = "--targets", required = true, split = ",", paramLabel = "S", description = "Target sparsities in (0, 1), e.g. 0.8,0.9: one recipe each.")
    List<Double> targets;

    @Option(names = "--config", paramLabel = "YAML", description = "Recipe whose stage table is calibrated (its shape is kept, its λ values scaled); the probe defaults come from it. Default: the built-in demo recipe.")
    Path config;

    @Option(names = "--lambdas", split = ",", paramLabel = "λ",
            description = "Probe λ_S values (the last stage's λ). Default: the recipe's λ_S × 0.1, 0.25, 0.5, 1, 2 (prosparse-tiny: 2,5,10,20,40).")
    List<Double> lambdas;

    @Option(names = "--held-out", split = ",", paramLabel = "I",
            description = "Indexes (0-based) into the λ_S list of the probes kept out of the fit to measure its error. Default: the middle one (of 5 probes: 2).")
    List<Integer> heldOut;

    @Option(names = "--probe-steps", paramLabel = "N", description = "Optimizer steps per probe (the stage table compressed to N). Default: half the recipe's steps (prosparse-tiny: 600).")
    Integer steps;

    @Option(names = "--probe-batch", paramLabel = "B", description = "Sequences per probe step, in one micro-batch. Default: the recipe's batch_size and grad_accum.")
    Integer batch;

    @Option(names = "--probe-seq-len", paramLabel = "T", description = "Tokens per probe sequence. Default: the recipe's seq_len.")
    Integer seqLen;

    @Option(names = "--probe-windows", paramLabel = "N", defaultValue = "32", description = "Evaluation windows per probe. Default: ${DEFAULT-VALUE}.")
    int windows;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "calibrated", description = "Folder for the calibrated recipes and calibration.md. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "CPU threads for libtorch (0 = the recipe's threads).")
    int threads;

    @Option(names = "--device", paramLabel = "DEVICE", description = "auto, cpu, cuda or cuda:N for the probes (as the recipe key device). Default: the recipe's.")
    String device;

    @Override
    public Integer call() throws IOException {
        checkFlags();
        List<String> sets = new ArrayList<>(List.of("model=" + model));
        if (data != null) {
            sets.add("data.train=" + data);
            sets.add("data.eval=" + data);
        }
        List<String> probeSets = new ArrayList<>(sets);  // the device is the probes', not the written recipes'
        if (device != null) {
            probeSets.add("device=" + device);
        }
        Recipe base = Recipe.load(config, sets);
        Calibrator.checkCalibratable(base, config);
        Calibrator.Plan plan = plan(base);
        // validate a probe recipe and the model before anything is created
        Calibrator.probeRecipe(config, probeSets, base, plan, plan.lambdas().get(0), Path.of(System.getProperty("java.io.tmpdir")));
        Path modelDir = dev.prosparse.hub.ModelResolver.forRecipe(base.model(), false);
        System.out.print(CalibrationReport.budget(plan, base));
        System.out.flush();
        long full = CalibrationReport.fullRunTokens(base);
        if (plan.tokensPerProbe() < full / 2) {
            LOG.warn(String.format(Locale.ROOT, "each probe trains on %,d tokens, less than half of one full run (%,d): sparsity"
                    + " at a given λ keeps rising with the tokens trained, so short probes under-predict the full run's"
                    + " sparsity and the λ_S they give tends to overshoot (docs/target-sparsity.md)", plan.tokensPerProbe(), full));
        }
        Path work = Files.createTempDirectory("prosparse-calibrate-");
        try {
            long t0 = System.nanoTime();
            int[] n = {0};
            Calibrator.Result r = Calibrator.calibrate(plan, lam -> {
                Recipe probe = Calibrator.probeRecipe(config, probeSets, base, plan, lam, work);
                Path dir = work.resolve(String.format(Locale.ROOT, "probe-%02d", n[0]++));
                Trainer.Result res = new Trainer(probe, RunDir.create(dir, probe.toYaml()), modelDir, threads).run();
                double secs = (System.nanoTime() - t0) / 1e9;
                System.out.printf(Locale.ROOT, "probe λ_S=%s: sparsity %.2f%%, perplexity %.2f  (%d/%d, %.0f s so far)%n",
                        lam, 100 * res.afterShift().zeroFraction(), res.afterShift().perplexity(), n[0], plan.lambdas().size(), secs);
                System.out.flush();
                return new double[] {res.afterShift().zeroFraction(), res.afterShift().perplexity()};
            });
            String report = CalibrationReport.render(r, targets, plan);
            System.out.print(report);
            Files.createDirectories(out);
            AtomicFiles.writeString(out.resolve("calibration.md"), report);
            for (double t : targets) {
                double lam = r.chosen().lambdaFor(t);
                if (!Double.isFinite(lam)) {
                    LOG.warn("No λ_S reaches {}% by the fit ({}); no recipe written for it", 100 * t, r.chosen().formula());
                    continue;
                }
                Path f = out.resolve(CalibrationReport.fileName(config, model, t));
                AtomicFiles.writeString(f, CalibrationReport.recipe(config, sets, base, lam, t, r, f));
                System.out.println("wrote " + f);
            }
        } finally {
            deleteTree(work);
        }
        return 0;
    }

    /** The flags that need no recipe, checked before the recipe is read. */
    private void checkFlags() {
        for (double t : targets) {
            if (!(t > 0 && t < 1)) {
                throw ProsparseException.usage("--targets " + t + ": each target must be in (0, 1), for example --targets 0.8,0.9");
            }
        }
        if (lambdas != null) {
            for (double l : lambdas) {
                if (!(l > 0) || Double.isInfinite(l)) {
                    throw ProsparseException.usage("--lambdas " + l + ": each probe λ_S must be a positive number, for example"
                            + " --lambdas 2,5,10,20,40");
                }
            }
        }
        if (device != null) {
            DeviceSpec.parse(device, "--device");
        }
        if (steps != null && steps < 10 || batch != null && batch < 1 || seqLen != null && seqLen < 8 || windows < 1) {
            throw ProsparseException.usage("--probe-steps must be ≥ 10, --probe-batch ≥ 1, --probe-seq-len ≥ 8 and"
                    + " --probe-windows ≥ 1, for example --probe-steps 600 --probe-batch 8 --probe-seq-len 256");
        }
    }

    /** The probes: each flag given, else its default from the recipe ({@link ProbeDefaults}). */
    Calibrator.Plan plan(Recipe base) {
        List<Double> lams = lambdas != null ? lambdas : ProbeDefaults.lambdas(base);
        List<Integer> held = heldOut != null ? List.copyOf(new LinkedHashSet<>(heldOut)) : ProbeDefaults.heldOut(lams.size());
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
        boolean recipeBatch = batch == null;
        return new Calibrator.Plan(lams, held, steps != null ? steps : ProbeDefaults.steps(base),
                recipeBatch ? base.batchSize() : batch, recipeBatch ? base.gradAccum() : 1,
                seqLen != null ? seqLen : base.seqLen(), windows, threads);
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("Could not delete the probe folder {}: {}", dir, e.toString());
        }
    }

}
