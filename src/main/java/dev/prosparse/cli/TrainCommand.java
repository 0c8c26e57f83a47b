package dev.prosparse.cli;

import dev.prosparse.ProsparseException;
import dev.prosparse.device.DeviceSpec;
import dev.prosparse.device.Precision;
import dev.prosparse.train.Training;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code prosparse train}: the ProSparse pipeline on a recipe. */
@Command(name = "train",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Swap the FFN activation to ReLU (or another) and continue training with a progressive L1",
            "penalty on the FFN activations (ProSparse). Writes a run folder with stage checkpoints, metrics.jsonl,",
            "final/ (an HF checkpoint) and final_report.json. Without --config it runs the built-in demo recipe",
            "(configs/train/demo.yaml: tiny-llama, bundled corpus, 300 steps)."},
        footerHeading = "%nExamples:%n",
        footer = {"  prosparse train",
            "  prosparse train --config configs/train/prosparse-tiny.yaml",
            "  prosparse train --config configs/train/prosparse-tiny.yaml --stages 2 --set optimizer.lr=2e-4",
            "  prosparse train --config configs/train/prosparse-tiny.yaml --target-sparsity 0.85",
            "  prosparse train --resume checkpoints/runs/prosparse-tiny-20261123-101500",
            "  prosparse train --config configs/train/prosparse-tiny.yaml --device cuda --precision fp16-mixed",
            "  prosparse train --config configs/train/llama2-7b.yaml --plan --device cuda --precision fp16-mixed"})
public final class TrainCommand implements Callable<Integer> {
    @Option(names = "--config", paramLabel = "YAML", description = "Recipe file (configs/train/*.yaml). Default: the built-in demo recipe.")
    Path config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a recipe key, e.g. --set optimizer.lr=2e-5 --set stages.1.l1_lambda=0.5 (repeatable).")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--target-sparsity", paramLabel = "S",
            description = "Steer λ to reach this sparsity (0 < S < 1) at the end of the run, following the stage table's shape after stage 0 (the same as --set l1.target_sparsity=S).")
    Double targetSparsity;

    @Option(names = "--stages", paramLabel = "N", description = "Run only the first N stages of the recipe.")
    Integer stages;

    @Option(names = "--resume", paramLabel = "RUN_DIR", description = "Continue a run from its newest complete save (the recipe is read from the run folder).")
    Path resume;

    @Option(names = "--run-name", paramLabel = "NAME", description = "Run folder name under output_dir. Default: <recipe>-<date>-<time>.")
    String runName;

    @Mixin
    ThreadsOption threads = new ThreadsOption();

    @Option(names = "--download", description = "Fetch the recipe's model (a preset or hub id) from the HuggingFace hub into its cache when it is not on this machine.")
    boolean download;

    @Mixin
    DeviceOption device = new DeviceOption();

    @Option(names = "--precision", paramLabel = "P", description = "fp32 or fp16-mixed (GPU only; overrides the recipe key precision). Also with --resume.")
    String precision;

    @Option(names = "--plan", description = "Print the memory plan (weights, optimizer state, gradients, activations, logits,"
            + " workspace; per device, next to the free memory) and exit: 0 when it fits, 2 when it does not. Creates"
            + " nothing and needs no weights on disk for a preset (docs/memory-plan.md).")
    boolean plan;

    @Override
    public Integer call() {
        List<String> deviceSets = new ArrayList<>();
        if (device.device != null) {
            DeviceSpec.parse(device.device, "--device");
            deviceSets.add("device=" + device.device);
        }
        if (precision != null) {
            try {
                Precision.parse(precision);
            } catch (IllegalArgumentException e) {
                throw ProsparseException.usage("--precision " + precision + ": " + e.getMessage());
            }
            deviceSets.add("precision=" + precision);
        }
        Path finalDir;
        if (resume != null) {
            if (config != null || !overrides.isEmpty() || stages != null || targetSparsity != null) {
                throw ProsparseException.usage("--resume continues a run with the recipe saved in it; drop --config, --set,"
                        + " --stages and --target-sparsity");
            }
            if (plan) {
                return Training.planResume(resume, deviceSets, threads.value(), deviceKey(), precisionKey());
            }
            finalDir = Training.resume(resume, deviceSets, threads.value(), download, deviceKey(), precisionKey());
        } else {
            List<String> sets = new ArrayList<>(overrides);
            if (targetSparsity != null) {
                if (!(targetSparsity > 0 && targetSparsity < 1)) {
                    throw ProsparseException.usage("--target-sparsity " + targetSparsity + ": must be in (0, 1), for example"
                            + " --target-sparsity 0.9 for 90% of FFN activations zero");
                }
                sets.add("l1.target_sparsity=" + targetSparsity);
            }
            sets.addAll(deviceSets);
            Training.Start start = new Training.Start(config, sets, stages, runName, threads.value(), download, deviceKey(),
                    precisionKey());
            if (plan) {
                return Training.plan(start);
            }
            finalDir = Training.start(start);
        }
        System.out.println(finalDir);
        return 0;
    }

    private String deviceKey() {
        return device.device != null ? "--device" : "recipe key device";
    }

    private String precisionKey() {
        return precision != null ? "--precision" : "recipe key precision";
    }
}
