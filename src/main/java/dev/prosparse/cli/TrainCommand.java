package dev.prosparse.cli;

import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.device.DeviceSetup;
import dev.prosparse.device.DeviceSpec;
import dev.prosparse.device.Precision;
import dev.prosparse.dist.C10dGlue;
import dev.prosparse.dist.LaunchEnv;
import dev.prosparse.hub.HubEnv;
import dev.prosparse.hub.ModelResolver;
import dev.prosparse.hub.Presets;
import dev.prosparse.io.HfCheckpoint;
import dev.prosparse.model.Activation;
import dev.prosparse.train.Recipe;
import dev.prosparse.train.RunDir;
import dev.prosparse.train.Trainer;
import dev.prosparse.train.TrainingPlan;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
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
    private static final Logger LOG = LoggerFactory.getLogger(TrainCommand.class);

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

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0", description = "CPU threads for libtorch (0 = the recipe's threads; 0 there = all cores).")
    int threads;

    @Option(names = "--download", description = "Fetch the recipe's model (a preset or hub id) from the HuggingFace hub into its cache when it is not on this machine.")
    boolean download;

    @Option(names = "--device", paramLabel = "DEVICE", description = "auto, cpu, cuda or cuda:N (overrides the recipe key device; default auto: the first GPU when DJL sees one). Also with --resume.")
    String device;

    @Option(names = "--precision", paramLabel = "P", description = "fp32 or fp16-mixed (GPU only; overrides the recipe key precision). Also with --resume.")
    String precision;

    @Option(names = "--plan", description = "Print the memory plan (weights, optimizer state, gradients, activations, logits,"
            + " workspace; per device, next to the free memory) and exit: 0 when it fits, 2 when it does not. Creates"
            + " nothing and needs no weights on disk for a preset (docs/memory-plan.md).")
    boolean plan;

    @Override
    public Integer call() {
        Recipe recipe;
        RunDir run;
        Path modelDir;
        boolean created = false;
        // under torchrun/srun: half-set variables are an error here, before any work (docs/distributed.md)
        java.util.Optional<LaunchEnv> launch = LaunchEnv.detect();
        List<String> deviceOverrides = new ArrayList<>();
        if (device != null) {
            DeviceSpec.parse(device, "--device");
            deviceOverrides.add("device=" + device);
        }
        if (precision != null) {
            try {
                Precision.parse(precision);
            } catch (IllegalArgumentException e) {
                throw ProsparseException.usage("--precision " + precision + ": " + e.getMessage());
            }
            deviceOverrides.add("precision=" + precision);
        }
        if (resume != null) {
            if (config != null || !overrides.isEmpty() || stages != null || targetSparsity != null) {
                throw ProsparseException.usage("--resume continues a run with the recipe saved in it; drop --config, --set,"
                        + " --stages and --target-sparsity");
            }
            if (!Files.isRegularFile(resume.resolve(RunDir.RECIPE))) {
                throw ProsparseException.usage("--resume " + resume + ": not a run folder (no " + RunDir.RECIPE + ")"
                        + dev.prosparse.util.Listing.nearby(resume.resolve(RunDir.RECIPE)));
            }
            recipe = Recipe.load(resume.resolve(RunDir.RECIPE), deviceOverrides);
            ai.djl.Device dev = DeviceSetup.forTraining(recipe.deviceSpec(), recipe.precision(), threads,
                    device != null ? "--device" : "recipe key device", precision != null ? "--precision" : "recipe key precision");
            if (plan) {
                return TrainingPlan.print(recipe, dev, System.out);
            }
            modelDir = preflight(recipe, download);
            TrainingPlan.check(recipe, modelDir, dev);
            run = new RunDir(resume);
            if (run.newestSave().isEmpty()) {
                LOG.warn("{} has no complete save yet: starting it from the beginning", resume);
            }
        } else {
            List<String> sets = new ArrayList<>(overrides);
            if (targetSparsity != null) {
                if (!(targetSparsity > 0 && targetSparsity < 1)) {
                    throw ProsparseException.usage("--target-sparsity " + targetSparsity + ": must be in (0, 1), for example"
                            + " --target-sparsity 0.9 for 90% of FFN activations zero");
                }
                sets.add("l1.target_sparsity=" + targetSparsity);
            }
            sets.addAll(deviceOverrides);
            recipe = Recipe.load(config, sets);
            if (stages != null) {
                recipe = recipe.firstStages(stages);
            }
            // the device and precision are checked before the run folder exists
            if (launch.isPresent() && launch.get().worldSize() > 1 && runName == null) {
                throw ProsparseException.usage("under a launcher every rank must find the same run folder: give --run-name"
                        + " NAME (e.g. --run-name tiny-8gpu), or --resume DIR");
            }
            ai.djl.Device dev = DeviceSetup.forTraining(recipe.deviceSpec(), recipe.precision(), threads,
                    device != null ? "--device" : "recipe key device", precision != null ? "--precision" : "recipe key precision");
            if (launch.isPresent()) {    // the rank's GPU and the c10d glue (docs/distributed.md), after the engine started
                launch.get().deviceFor(recipe.device(), device != null ? "--device" : "recipe key device");
                C10dGlue.load();
            }
            if (plan) {
                return TrainingPlan.print(recipe, dev, System.out);
            }
            modelDir = preflight(recipe, download);
            TrainingPlan.check(recipe, modelDir, dev); // sizes and memory, before the run folder exists
            String name = runName != null ? runName
                    : recipeName() + "-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
            Path out = home().resolve(recipe.outputDir()).resolve(name);
            if (Path.of(recipe.outputDir()).isAbsolute()) {
                out = Path.of(recipe.outputDir()).resolve(name);
            }
            boolean follower = launch.isPresent() && launch.get().rank() != 0;    // rank 0 creates the folder
            run = follower ? new RunDir(out) : RunDir.create(out, recipe.toYaml());
            created = !follower;
        }
        try {
            return train(recipe, run, modelDir);
        } catch (ProsparseException e) {
            if (created && e.kind() != ProsparseException.Kind.INTERRUPTED) {
                run.removeIfNeverSaved(); // a failed start leaves nothing; a Ctrl-C'd one keeps its folder
            }
            throw e;
        }
    }

    /**
     * Everything a run needs that can be checked before its folder exists, so that a failed start leaves nothing
     * behind: the model (resolved, its config.json, weights and tokenizer readable), the activation and its
     * threshold, and the training and evaluation data (found, of a known type, first document readable).
     */
    static Path preflight(Recipe recipe, boolean download) {
        Path modelDir = resolveModel(recipe.model(), download);
        HfCheckpoint source = HfCheckpoint.open(modelDir);
        source.files().close();
        source.tokenizer().close();
        Activation act = Activation.parse(recipe.activation(), "recipe key activation");
        act.checkParam(recipe.threshold(), "recipe key threshold");
        recipe.data().trainSource().check();
        recipe.data().evalSource().check();
        return modelDir;
    }

    private int train(Recipe recipe, RunDir run, Path modelDir) {
        LOG.info("Run folder: {}", run.path());
        LOG.info("Recipe:\n{}", recipe.toYaml().strip());

        Trainer trainer = new Trainer(recipe, run, modelDir, threads);
        Integer stopAfter = Integer.getInteger("prosparse.stopAfterStep"); // a test hook: stop as Ctrl-C would after step N
        if (stopAfter != null) {
            trainer.requestStopAfter(stopAfter);
        }
        CountDownLatch finished = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            trainer.requestStop();
            try {
                finished.await(10, TimeUnit.MINUTES);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "prosparse-ctrl-c");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            Trainer.Result r = trainer.run();
            System.out.println(r.finalDir());
            return 0;
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the JVM is already exiting (Ctrl-C): the hook is running and will return now
            }
        }
    }

    /** The recipe's {@code model}: a folder, a preset (checked against its dimensions) or a hub id, as for convert. */
    static Path resolveModel(String spec, boolean download) {
        ModelResolver.Resolved m = new ModelResolver(Presets.home(), HubEnv.fromSystem(), ModelResolver.Names.RECIPE)
                .resolve(spec, null, "main", download);
        if (m.preset() != null) {
            m.preset().check(ModelConfig.read(m.dir()), m.dir());
        }
        return m.dir();
    }

    private String recipeName() {
        if (config == null) {
            return "demo";
        }
        String f = config.getFileName().toString();
        return f.replaceAll("\\.ya?ml$", "");
    }

    static Path home() {
        return Presets.home();
    }
}
