package dev.prosparse.cli;

import dev.prosparse.calibrate.CalibrationRequest;
import dev.prosparse.calibrate.CalibrationService;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
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
            "under-predict the full run's sparsity, so the λ_S they give overshoots (docs/target-sparsity.md).",
            "When the probes do not respond to λ, or the fit puts a target outside the probed λ range (beyond a factor",
            "1.5) or out of reach, that target gets no recipe and calibrate exits with 2, saying what to change.",
            "The probes run in a temporary folder (metrics only) that is removed at the end, on an error and on Ctrl-C."},
        footerHeading = "%nExamples:%n",
        footer = {"  prosparse calibrate --model checkpoints/tiny-llama --targets 0.9 --config configs/train/prosparse-tiny.yaml",
            "  prosparse calibrate --model tiny-minicpm --targets 0.9 --config configs/train/prosparse-minicpm-tiny.yaml",
            "  prosparse calibrate --model ./my-model --data corpus.jsonl --targets 0.9 --lambdas 1,3,10,30,100",
            "  prosparse calibrate --model tiny-llama --targets 0.9 --probe-steps 300 --held-out 1,3",
            "  prosparse calibrate --model tiny-llama --targets 0.8,0.9 --out calibrated --force"})
public final class CalibrateCommand implements Callable<Integer> {
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

    @Option(names = "--out", paramLabel = "DIR", defaultValue = "calibrated", description = "Folder for the calibrated recipes and calibration.md; a non-empty one needs --force. Default: ${DEFAULT-VALUE}.")
    Path out;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "CPU threads for libtorch (0 = the recipe's threads).")
    int threads;

    @Option(names = "--device", paramLabel = "DEVICE", description = "auto, cpu, cuda or cuda:N for the probes (as the recipe key device). Default: the recipe's.")
    String device;

    @Option(names = "--force", description = "Replace calibrate's earlier outputs in a non-empty --out (calibration.md and the"
            + " recipes it wrote; other files stay).")
    boolean force;

    @Override
    public Integer call() {
        CalibrationService c = CalibrationService.prepare(request());
        Path modelDir = TrainCommand.resolveModel(c.base().model(), false);
        System.out.print(c.budget());
        System.out.flush();
        c.run(modelDir, System.out);
        return 0;
    }

    CalibrationRequest request() {
        return new CalibrationRequest(model, data, targets, config, lambdas, heldOut, steps, batch, seqLen, windows, out, force,
                threads, device);
    }
}
