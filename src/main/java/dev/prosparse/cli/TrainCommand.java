package dev.prosparse.cli;

import dev.prosparse.ProsparseException;
import dev.prosparse.device.DeviceSpec;
import dev.prosparse.device.Precision;
import dev.prosparse.train.Training;
import dev.prosparse.train.TrainingPlan;
import dev.prosparse.util.ByteSize;
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
            "  prosparse train --config configs/train/llama2-7b.yaml --plan --device cuda --precision fp16-mixed",
            "  prosparse train --config configs/train/llama2-7b.yaml --plan --device cuda --precision fp16-mixed \\",
            "      --set batch_size=1 --set activation_checkpointing=true --set optimizer.offload=cpu \\",
            "      --device-memory 79GiB --host-memory 126GiB",
            "      (an 80 GB H100 in a machine of 126 GiB, planned from any machine: no GPU or weights needed)"})
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

    @Option(names = "--device-memory", paramLabel = "SIZE",
            description = "With --plan and --device cuda[:N]: plan against a GPU of this much memory instead of the one"
            + " on this machine, which then need not have a GPU (an H100 80GB has 79GiB, an H200 139GiB; e.g."
            + " --device-memory 79GiB).")
    String deviceMemory;

    @Option(names = "--host-memory", paramLabel = "SIZE",
            description = "With --plan: check the host side against this much memory (the GPU machine's, for example 126GiB)"
            + " instead of this machine's. Without it a plan made with --device-memory leaves the host unchecked.")
    String hostMemory;

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
        TrainingPlan.Given given = given();
        Path finalDir;
        if (resume != null) {
            if (config != null || !overrides.isEmpty() || stages != null || targetSparsity != null) {
                throw ProsparseException.usage("--resume continues a run with the recipe saved in it; drop --config, --set,"
                        + " --stages and --target-sparsity");
            }
            if (plan) {
                return Training.planResume(resume, deviceSets, threads.value(), deviceKey(), precisionKey(), given);
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
                return Training.plan(start, given);
            }
            finalDir = Training.start(start);
        }
        System.out.println(finalDir);
        return 0;
    }

    /** --device-memory and --host-memory, checked before anything else runs; plan only. */
    private TrainingPlan.Given given() {
        if (!plan && (deviceMemory != null || hostMemory != null)) {
            throw ProsparseException.usage((deviceMemory != null ? "--device-memory" : "--host-memory") + " only goes with"
                    + " --plan, which plans a run without starting it (for example prosparse train --plan --device cuda"
                    + " --device-memory 79GiB); a real run reads the memory of the device it runs on");
        }
        long dev = deviceMemory == null ? -1 : ByteSize.parse(deviceMemory, "--device-memory");
        long host = hostMemory == null ? -1 : ByteSize.parse(hostMemory, "--host-memory");
        return new TrainingPlan.Given(dev, deviceMemory, host);
    }

    private String deviceKey() {
        return device.device != null ? "--device" : "recipe key device";
    }

    private String precisionKey() {
        return precision != null ? "--precision" : "recipe key precision";
    }
}
