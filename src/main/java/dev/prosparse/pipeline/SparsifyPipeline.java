package dev.prosparse.pipeline;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.convert.ConvertRequest;
import dev.prosparse.convert.Converter;
import dev.prosparse.convert.TargetDtype;
import dev.prosparse.gguf.GgufExporter;
import dev.prosparse.hub.HubEnv;
import dev.prosparse.hub.ModelResolver;
import dev.prosparse.hub.Presets;
import dev.prosparse.io.HfCheckpoint;
import dev.prosparse.config.Activation;
import dev.prosparse.predict.PredictorRun;
import dev.prosparse.train.Recipe;
import dev.prosparse.train.RunDir;
import dev.prosparse.train.StoppableTraining;
import dev.prosparse.train.Trainer;
import dev.prosparse.util.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code prosparse sparsify}: convert → train (target-sparsity controller) → predictors → export → model card, each
 * step resumable in its own folder under --out (docs/sparsify.md). A re-run skips finished steps and says so; an
 * interrupted training resumes from its newest save.
 */
public final class SparsifyPipeline {
    private static final Logger LOG = LoggerFactory.getLogger(SparsifyPipeline.class);
    /** Test hook: stop (as an interrupt would) after the step of this name. */
    public static final String STOP_AFTER = "prosparse.sparsify.stopAfter";
    static final String GGUF = "model.powerinfer.gguf";

    /** One step of this invocation: run now, skipped (done earlier), or not asked. */
    public record Outcome(Step step, String status, double seconds, Path output) {}

    public record Result(List<Outcome> steps, Path finalDir, Metrics metrics) {}

    private SparsifyPipeline() {}

    public static Result run(SparsifyRequest q) {
        Path out = q.out().toAbsolutePath().normalize();
        ModelResolver.Resolved src = new ModelResolver(Presets.home(), HubEnv.fromSystem())
                .resolve(q.model(), q.modelDir(), "main", q.download());
        HfCheckpoint source = HfCheckpoint.open(src.dir());
        Path convertDir = out.resolve(Step.CONVERT.folder), runDir = out.resolve(Step.TRAIN.folder),
                predDir = out.resolve(Step.PREDICTORS.folder), exportDir = out.resolve(Step.EXPORT.folder);
        Recipe recipe = Recipe.load(q.config(), recipeSets(q, convertDir));    // every key checked before anything exists
        Activation act = Activation.parse(recipe.activation(), "recipe key activation");
        if (q.export() == SparsifyRequest.Export.POWERINFER && !source.config().modelType().equals("llama")) {
            throw ProsparseException.usage("--model " + q.model() + ": model_type " + source.config().modelType() + " cannot be"
                    + " exported for PowerInfer (llama only, docs/powerinfer.md); pass --export none");
        }
        SparsifyState st = SparsifyState.open(out, settings(q, src), q.force());
        List<Outcome> done = new ArrayList<>();
        step(st, out, Step.CONVERT, done, () -> {
            ConvertRequest c = new ConvertRequest(src.dir(), convertDir, act, act.takesParam() ? recipe.threshold() : null,
                    TargetDtype.KEEP, null, true, false, new ConvertRequest.Origin(q.model(), src.hubId(), src.revision(),
                    src.origin().label), src.preset());
            new Converter().convert(c);
        });
        step(st, out, Step.TRAIN, done, () -> train(q, recipe, runDir, convertDir));
        Path finalModel = runDir.resolve("final");
        step(st, out, Step.PREDICTORS, done, () -> {
            ModelConfig c = ModelConfig.read(finalModel);
            PredictorRun.run(new PredictorRun.Request(finalModel, predDir, true, Math.min(1024, c.hiddenSize()),
                    recipe.data().trainSource(), q.samples(), q.recall(), q.epochs(), 1024, 0.01, q.predictorSeqLen(),
                    recipe.data().evalSource(), q.windows(), q.threads(), recipe.seed(),
                    q.device() == null ? null : dev.prosparse.device.DeviceSpec.parse(q.device(), "--device"), 0));
        });
        if (q.export() == SparsifyRequest.Export.POWERINFER) {
            step(st, out, Step.EXPORT, done, () -> {
                mkdirs(exportDir);
                GgufExporter.export(new GgufExporter.Request(finalModel, predDir, exportDir.resolve(GGUF), false, 0, false, true));
            });
        } else {
            done.add(new Outcome(Step.EXPORT, "not asked (--export none)", 0, null));
        }
        Metrics m = Metrics.read(runDir, predDir);
        Path finalDir = out.resolve(Step.CARD.folder);
        step(st, out, Step.CARD, done, () -> ModelCard.writeFinal(finalDir, finalModel, predDir,
                q.export() == SparsifyRequest.Export.POWERINFER ? exportDir.resolve(GGUF) : null, q, src, m, runDir));
        return new Result(done, finalDir, m);
    }

    private static void step(SparsifyState st, Path out, Step s, List<Outcome> outcomes, Runnable work) {
        int i = s.ordinal() + 1, n = Step.values().length;
        Path output = out.resolve(s.folder);
        if (st.done(s)) {
            LOG.info(String.format(Locale.ROOT, "step %d/%d %s: done earlier (%.1f s), skipping: %s", i, n, s.label,
                    st.seconds(s), output));
            outcomes.add(new Outcome(s, "skipped (done earlier)", st.seconds(s), output));
        } else {
            LOG.info("step {}/{} {}: starting → {}", i, n, s.label, output);
            long t0 = System.nanoTime();
            work.run();
            double secs = (System.nanoTime() - t0) / 1e9;
            st.markDone(s, secs);
            LOG.info(String.format(Locale.ROOT, "step %d/%d %s: done in %.1f s", i, n, s.label, secs));
            outcomes.add(new Outcome(s, "ran", secs, output));
        }
        if (s.name().equalsIgnoreCase(System.getProperty(STOP_AFTER, ""))) {
            throw new ProsparseException(ProsparseException.Kind.INTERRUPTED, "stopped after step " + s.label + " ("
                    + STOP_AFTER + "); run the same command again to continue");
        }
    }

    /** Trains in --out/train, resuming from its newest save when an earlier invocation was interrupted. */
    private static void train(SparsifyRequest q, Recipe recipe, Path runDir, Path convertDir) {
        RunDir run;
        Recipe r = recipe;
        if (Files.isRegularFile(runDir.resolve(RunDir.RECIPE))) {
            r = Recipe.load(runDir.resolve(RunDir.RECIPE), deviceSets(q));
            run = new RunDir(runDir);
            LOG.info("resuming the training in {} ({})", runDir, run.newestSave().map(x -> "from step " + x.step())
                    .orElse("no complete save yet: from the start"));
        } else {
            if (Files.exists(runDir)) {
                SparsifyState.deleteTree(runDir);
            }
            run = RunDir.create(runDir, recipe.toYaml());
        }
        Trainer trainer = new Trainer(r, run, convertDir, q.threads());
        StoppableTraining.run(trainer);
    }

    static List<String> recipeSets(SparsifyRequest q, Path convertDir) {
        List<String> sets = new ArrayList<>(q.sets());
        sets.add("l1.target_sparsity=" + q.target());
        sets.add("model=" + convertDir);
        sets.addAll(deviceSets(q));
        return sets;
    }

    private static List<String> deviceSets(SparsifyRequest q) {
        return q.device() == null ? List.of() : List.of("device=" + q.device());
    }

    /** What must not change between an interrupted run and its continuation (device and threads may). */
    static ObjectNode settings(SparsifyRequest q, ModelResolver.Resolved src) {
        ObjectNode s = Json.MAPPER.createObjectNode();
        s.put("model", src.dir().toAbsolutePath().normalize().toString());
        s.put("target_sparsity", q.target());
        s.put("export", q.export().flag);
        s.put("config", q.config() == null ? "built-in demo recipe" : q.config().toAbsolutePath().normalize().toString());
        ArrayNode sets = s.putArray("set");
        q.sets().forEach(sets::add);
        s.put("recall", q.recall());
        s.put("samples", q.samples());
        s.put("epochs", q.epochs());
        s.put("predictor_seq_len", q.predictorSeqLen());
        s.put("windows", q.windows());
        return s;
    }

    static void mkdirs(Path d) {
        try {
            Files.createDirectories(d);
        } catch (IOException e) {
            throw ProsparseException.io("Could not create " + d + ": " + e.getMessage(), e);
        }
    }
}
