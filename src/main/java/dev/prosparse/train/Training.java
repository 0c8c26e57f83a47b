package dev.prosparse.train;

import dev.prosparse.ProsparseException;
import dev.prosparse.device.DeviceSetup;
import dev.prosparse.dist.C10dGlue;
import dev.prosparse.dist.LaunchEnv;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code train} service: checks a recipe before anything is written ({@link Preflight}), creates or reopens the
 * run folder ({@link RunDir}), runs the {@link Trainer} and turns Ctrl-C into a clean stop after the current step
 * (see {@code docs/run-folder.md}).
 */
public final class Training {
    private static final Logger LOG = LoggerFactory.getLogger(Training.class);

    private Training() {}

    /**
     * A new run.
     *
     * @param config    the recipe file, or null for the built-in demo recipe
     * @param sets      {@code key=value} overrides, applied in order
     * @param stages    keep only the first N stages, or null for all
     * @param runName   the run folder's name, or null for {@code <recipe>-<date>-<time>}
     * @param threads   libtorch CPU threads (0 = the recipe's)
     * @param download  fetch a preset or hub model that is not on this machine
     * @param deviceKey where the device choice came from, for errors ("--device" or "recipe key device")
     * @param precisionKey where the precision came from ("--precision" or "recipe key precision")
     */
    public record Start(Path config, List<String> sets, Integer stages, String runName, int threads, boolean download,
            String deviceKey, String precisionKey) {}

    /** Starts a run; returns the final checkpoint folder. A failed start removes the folder it created. */
    public static Path start(Start s) {
        // under torchrun/srun: half-set variables are an error here, before any work (docs/distributed.md)
        Optional<LaunchEnv> launch = LaunchEnv.detect();
        Recipe recipe = recipe(s);
        if (launch.isPresent() && launch.get().worldSize() > 1 && s.runName() == null) {
            throw ProsparseException.usage("under a launcher every rank must find the same run folder: give --run-name"
                    + " NAME (e.g. --run-name tiny-8gpu), or --resume DIR");
        }
        // the device and precision are checked before the run folder exists
        ai.djl.Device dev = DeviceSetup.forTraining(recipe.deviceSpec(), recipe.precision(), s.threads(), s.deviceKey(),
                s.precisionKey());
        checkLaunch(launch, recipe, s.deviceKey());
        Path modelDir = Preflight.check(recipe, s.download());
        TrainingPlan.check(recipe, modelDir, dev); // sizes and memory, before the run folder exists
        Path out = RunDir.newRunPath(recipe, s.config(), s.runName());
        boolean follower = launch.isPresent() && launch.get().rank() != 0;    // rank 0 creates the folder
        RunDir run = follower ? new RunDir(out) : RunDir.create(out, recipe.toYaml());
        try {
            return run(recipe, run, modelDir, s.threads());
        } catch (ProsparseException e) {
            if (!follower && e.kind() != ProsparseException.Kind.INTERRUPTED) {
                run.removeIfNeverSaved(); // a failed start leaves nothing; a Ctrl-C'd one keeps its folder
            }
            throw e;
        }
    }

    /**
     * Prints the memory plan of a new run (docs/memory-plan.md) and returns its exit code; creates nothing. With
     * {@code given.deviceMemory()} the recipe's GPU is planned against that memory and need not be on this machine.
     */
    public static int plan(Start s, TrainingPlan.Given given) {
        return plan(recipe(s), given, s.threads(), s.deviceKey(), s.precisionKey());
    }

    /** Prints the memory plan of a run to resume and returns its exit code. */
    public static int planResume(Path runDir, List<String> deviceSets, int threads, String deviceKey, String precisionKey,
            TrainingPlan.Given given) {
        return plan(savedRecipe(runDir, deviceSets), given, threads, deviceKey, precisionKey);
    }

    private static int plan(Recipe recipe, TrainingPlan.Given given, int threads, String deviceKey, String precisionKey) {
        return TrainingPlan.print(recipe, given, threads, () -> DeviceSetup.forTraining(recipe.deviceSpec(),
                recipe.precision(), threads, deviceKey, precisionKey), deviceKey, System.out);
    }

    /** Under a launcher: the rank's GPU and the c10d glue (docs/distributed.md), after the engine started. */
    private static void checkLaunch(Optional<LaunchEnv> launch, Recipe recipe, String deviceKey) {
        if (launch.isPresent()) {
            launch.get().deviceFor(recipe.device(), deviceKey);
            C10dGlue.load();
        }
    }

    private static Recipe recipe(Start s) {
        Recipe recipe = Recipe.load(RecipeFiles.find(s.config()), s.sets());
        return s.stages() != null ? recipe.firstStages(s.stages()) : recipe;
    }

    private static Recipe savedRecipe(Path runDir, List<String> deviceSets) {
        if (!Files.isRegularFile(runDir.resolve(RunDir.RECIPE))) {
            throw ProsparseException.usage("--resume " + runDir + ": not a run folder (no " + RunDir.RECIPE + ")"
                    + dev.prosparse.util.Listing.nearby(runDir.resolve(RunDir.RECIPE)));
        }
        return Recipe.load(runDir.resolve(RunDir.RECIPE), deviceSets);
    }

    /** Continues a run from its newest complete save with the recipe saved in it (device overrides applied). */
    public static Path resume(Path runDir, List<String> deviceSets, int threads, boolean download, String deviceKey,
            String precisionKey) {
        Optional<LaunchEnv> launch = LaunchEnv.detect();
        Recipe recipe = savedRecipe(runDir, deviceSets);
        ai.djl.Device dev = DeviceSetup.forTraining(recipe.deviceSpec(), recipe.precision(), threads, deviceKey, precisionKey);
        checkLaunch(launch, recipe, deviceKey);
        Path modelDir = Preflight.check(recipe, download);
        TrainingPlan.check(recipe, modelDir, dev);
        RunDir run = new RunDir(runDir);
        if (run.newestSave().isEmpty()) {
            LOG.warn("{} has no complete save yet: starting it from the beginning", runDir);
        }
        return run(recipe, run, modelDir, threads);
    }

    private static Path run(Recipe recipe, RunDir run, Path modelDir, int threads) {
        LOG.info("Run folder: {} (the resolved recipe: {})", run.path(), run.path().resolve(RunDir.RECIPE));
        LOG.debug("Recipe:\n{}", recipe.toYaml().strip());
        Trainer trainer = new Trainer(recipe, run, modelDir, threads);
        return StoppableTraining.run(trainer).finalDir();
    }
}
