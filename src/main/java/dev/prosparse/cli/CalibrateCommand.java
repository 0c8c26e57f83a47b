package dev.prosparse.cli;

import dev.prosparse.ProsparseException;
import dev.prosparse.train.Calibrator;
import dev.prosparse.train.L1Schedule;
import dev.prosparse.train.Recipe;
import dev.prosparse.train.RunDir;
import dev.prosparse.train.Trainer;
import dev.prosparse.util.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
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
        description = {"Find the λ that gives a target sparsity on a model: short probe runs of the recipe's stage table",
            "(compressed in time, scaled to end at each probe λ_S), a fit of sparsity against λ_S (the ProSparse",
            "paper's law 100 − exp(a·λ^b + c), or a power law in density, whichever predicts the held-out probes",
            "better), and one recipe per target with the stage table scaled to the λ_S the fit gives."},
        footerHeading = "%nExamples:%n",
        footer = {"  prosparse calibrate --model tiny-llama --targets 0.8,0.9",
            "  prosparse calibrate --model tiny-minicpm --targets 0.9 --config configs/train/prosparse-minicpm-tiny.yaml",
            "  prosparse calibrate --model ./my-model --data corpus.jsonl --targets 0.85,0.9 --lambdas 1,3,10,30"})
public final class CalibrateCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(CalibrateCommand.class);

    @Option(names = "--model", required = true, paramLabel = "M", description = "Model to calibrate: a preset, folder or hub id (as the recipe key model).")
    String model;

    @Option(names = "--data", paramLabel = "D", description = "Training and evaluation text for the probes (.jsonl, .jsonl.gz, .txt or embedded:*). Default: the recipe's data.")
    String data;

    @Option(names = "--targets", required = true, split = ",", paramLabel = "S", description = "Target sparsities in (0, 1), e.g. 0.8,0.9: one recipe each.")
    List<Double> targets;

    @Option(names = "--config", paramLabel = "YAML", description = "Recipe whose stage table is calibrated (its shape is kept, its λ values scaled). Default: the built-in demo recipe.")
    Path config;

    @Option(names = "--lambdas", split = ",", paramLabel = "λ", defaultValue = "0.5,1,2,4,8,16,32",
            description = "Probe λ_S values (the last stage's λ). Default: ${DEFAULT-VALUE}.")
    List<Double> lambdas;

    @Option(names = "--held-out", split = ",", paramLabel = "I", defaultValue = "1,3,5",
            description = "Indexes (0-based) into --lambdas of the probes kept out of the fit to measure its error. Default: ${DEFAULT-VALUE}.")
    List<Integer> heldOut;

    @Option(names = "--probe-steps", paramLabel = "N", defaultValue = "240", description = "Optimizer steps per probe (the stage table compressed to N). Default: ${DEFAULT-VALUE}.")
    int steps;

    @Option(names = "--probe-batch", paramLabel = "B", defaultValue = "4", description = "Sequences per probe step. Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--probe-seq-len", paramLabel = "T", defaultValue = "128", description = "Tokens per probe sequence. Default: ${DEFAULT-VALUE}.")
    int seqLen;

    @Option(names = "--probe-windows", paramLabel = "N", defaultValue = "32", description = "Evaluation windows per probe. Default: ${DEFAULT-VALUE}.")
    int windows;

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "calibrated", description = "Folder for the calibrated recipes and calibration.md. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "CPU threads for libtorch (0 = the recipe's threads).")
    int threads;

    @Override
    public Integer call() throws IOException {
        for (double t : targets) {
            if (!(t > 0 && t < 1)) {
                throw ProsparseException.usage("--targets " + t + ": each target must be in (0, 1), for example --targets 0.8,0.9");
            }
        }
        if (lambdas.size() - heldOut.size() < 3 || lambdas.stream().anyMatch(l -> !(l > 0))) {
            throw ProsparseException.usage("--lambdas: give positive values, at least 3 more than --held-out ("
                    + heldOut.size() + "), for example --lambdas 0.5,1,2,4,8,16,32");
        }
        for (int i : heldOut) {
            if (i < 0 || i >= lambdas.size()) {
                throw ProsparseException.usage("--held-out " + i + ": must index --lambdas (0.." + (lambdas.size() - 1) + ")");
            }
        }
        if (steps < 10 || batch < 1 || seqLen < 8 || windows < 1) {
            throw ProsparseException.usage("--probe-steps ≥ 10, --probe-batch ≥ 1, --probe-seq-len ≥ 8 and --probe-windows ≥ 1");
        }
        List<String> sets = new ArrayList<>(List.of("model=" + model));
        if (data != null) {
            sets.add("data.train=" + data);
            sets.add("data.eval=" + data);
        }
        Recipe base = Recipe.load(config, sets);
        Calibrator.Plan plan = new Calibrator.Plan(lambdas, heldOut, steps, batch, seqLen, windows, threads);
        // validate a probe recipe and the model before anything is created
        Calibrator.probeRecipe(config, sets, base, plan, lambdas.get(0), Path.of(System.getProperty("java.io.tmpdir")));
        Path modelDir = TrainCommand.resolveModel(base.model(), false);
        Path work = Files.createTempDirectory("prosparse-calibrate-");
        int full = new L1Schedule(base.stages()).totalSteps();
        long fullTokens = (long) full * base.batchSize() * base.gradAccum() * base.seqLen();
        System.out.printf(Locale.ROOT, "Probe budget: %d probes × %d steps × %d×%d tokens = %,d tokens (%.1f%% of one full run of"
                + " the recipe, %,d tokens); %d held out to check the fit%n", lambdas.size(), steps, batch, seqLen,
                plan.tokens(), 100.0 * plan.tokens() / fullTokens, fullTokens, heldOut.size());
        System.out.flush();
        try {
            long t0 = System.nanoTime();
            int[] n = {0};
            Calibrator.Result r = Calibrator.calibrate(plan, lam -> {
                Recipe probe = Calibrator.probeRecipe(config, sets, base, plan, lam, work);
                Path dir = work.resolve(String.format(Locale.ROOT, "probe-%02d", n[0]++));
                Trainer.Result res = new Trainer(probe, RunDir.create(dir, probe.toYaml()), modelDir, threads).run();
                double secs = (System.nanoTime() - t0) / 1e9;
                System.out.printf(Locale.ROOT, "probe λ_S=%s: sparsity %.2f%%, perplexity %.2f  (%d/%d, %.0f s so far)%n",
                        lam, 100 * res.afterShift().zeroFraction(), res.afterShift().perplexity(), n[0], lambdas.size(), secs);
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

    private static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.warn("Could not delete the probe folder {}: {}", dir, e.toString());
        }
    }

}
