package dev.prosparse.cli;

import dev.prosparse.pipeline.SparsifyPipeline;
import dev.prosparse.pipeline.SparsifyRequest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code prosparse sparsify}: from a model to an engine-ready sparse model in one command (dev.prosparse.pipeline). */
@Command(name = "sparsify",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Convert a SiLU checkpoint to ReLU, train it to --target-sparsity, train activation predictors,",
            "export a PowerInfer GGUF and write final/ with a HuggingFace model card (README.md). Each step writes its own",
            "folder under --out; run the same command again after an interruption and finished steps are skipped (an",
            "interrupted training resumes from its newest save). Prints one summary table at the end. docs/sparsify.md."},
        footerHeading = "%nExamples:%n",
        footer = {"  prosparse sparsify --model tiny-llama --target-sparsity 0.85 --out sparse-tiny",
            "  prosparse sparsify --model llama2-7b --config configs/train/llama2-7b.yaml --target-sparsity 0.9 \\",
            "      --device cuda --out llama2-7b-sparse",
            "  prosparse sparsify --model ./my-llama --target-sparsity 0.8 --export none --out my-llama-sparse"})
public final class SparsifyCommand implements Callable<Integer> {

    @Option(names = "--model", required = true, paramLabel = "MODEL", description = "Checkpoint folder, preset name or hub id (SiLU LLaMA-family).")
    String model;

    @Option(names = "--model-dir", paramLabel = "DIR", description = "Folder holding the preset's or hub id's checkpoint (skips the lookup).")
    Path modelDir;

    @Option(names = "--download", description = "Fetch a preset or hub id from the hub when it is not on this machine.")
    boolean download;

    @Option(names = "--target-sparsity", required = true, paramLabel = "S", description = "Fraction of FFN activations to make zero, 0 < S < 1 (for example 0.9).")
    double target;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder for every step's output (created; re-use it to continue).")
    Path out;

    @Option(names = "--export", paramLabel = "KIND", defaultValue = "powerinfer", description = "powerinfer (a PWRI GGUF for PowerInfer) or none. Default: ${DEFAULT-VALUE}.")
    String export;

    @Option(names = "--config", paramLabel = "YAML", description = "Training recipe (configs/train/*.yaml). Default: the built-in demo recipe.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a recipe key, as for train (repeatable).")
    List<String> sets = new ArrayList<>();

    @Option(names = "--device", paramLabel = "DEVICE", description = "auto, cpu, cuda or cuda:N for training (default: the recipe's).")
    String device;

    @Option(names = "--recall", paramLabel = "R", defaultValue = "0.99", description = "Predictors' recall target. Default: ${DEFAULT-VALUE}.")
    double recall;

    @Option(names = "--samples", paramLabel = "N", defaultValue = "32768", description = "Positions collected for the predictors. Default: ${DEFAULT-VALUE}.")
    int samples;

    @Option(names = "--epochs", paramLabel = "N", defaultValue = "20", description = "Predictor epochs. Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Option(names = "--seq-len", paramLabel = "T", defaultValue = "256", description = "Tokens per window for the predictors. Default: ${DEFAULT-VALUE}.")
    int seqLen;

    @Option(names = "--windows", paramLabel = "N", defaultValue = "32", description = "Perplexity windows for the predictors. Default: ${DEFAULT-VALUE}.")
    int windows;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "CPU threads for libtorch (0 = all cores).")
    int threads;

    @Option(names = "--force", description = "Start over when --out holds another sparsify run (or other files): its contents are deleted.")
    boolean force;

    @Override
    public Integer call() {
        StringBuilder cmd = new StringBuilder("prosparse sparsify --model " + model + " --target-sparsity " + target
                + " --out " + out + " --export " + export);
        if (config != null) {
            cmd.append(" --config ").append(config);
        }
        sets.forEach(s -> cmd.append(" --set ").append(s));
        cmd.append(" --recall ").append(recall).append(" --samples ").append(samples).append(" --epochs ").append(epochs);
        SparsifyPipeline.Result r = SparsifyPipeline.run(new SparsifyRequest(model, modelDir, target, out,
                SparsifyRequest.Export.parse(export), config, sets, device, recall, samples, epochs, seqLen, windows, threads,
                download, force, cmd.toString()));
        System.out.println("| step | this run | seconds | output |");
        System.out.println("|---|---|---|---|");
        for (SparsifyPipeline.Outcome o : r.steps()) {
            System.out.printf(Locale.ROOT, "| %s | %s | %.1f | %s |%n", o.step().label, o.status(), o.seconds(),
                    o.output() == null ? "—" : o.output());
        }
        System.out.println();
        System.out.print(r.metrics().table());
        System.out.println();
        System.out.println(r.finalDir());
        System.out.flush();
        return 0;
    }
}
