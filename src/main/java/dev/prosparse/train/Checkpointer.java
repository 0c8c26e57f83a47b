package dev.prosparse.train;

import dev.prosparse.optim.AdamW;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.io.DType;
import dev.prosparse.io.Sidecar;
import dev.prosparse.config.Activation;
import dev.prosparse.model.Weights;
import dev.prosparse.util.Hashing;
import dev.prosparse.util.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a run's checkpoints: {@code step-NNNNNN/} saves (float32 weights, AdamW moments and trainer_state.json, so
 * that resume continues bit for bit) and {@code final/} (in {@code save.dtype}). Each is an HF checkpoint folder plus
 * the prosparse.json sidecar, written atomically by {@link RunDir#writeCheckpoint}.
 */
final class Checkpointer {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpointer.class);

    private final Recipe recipe;
    private final RunDir run;
    private final Path sourceDir;
    private final L1Schedule schedule;

    Checkpointer(Recipe recipe, RunDir run, Path sourceDir, L1Schedule schedule) {
        this.recipe = recipe;
        this.run = run;
        this.sourceDir = sourceDir;
        this.schedule = schedule;
    }

    /** Where training stands after a step: what trainer_state.json records. */
    record Progress(int step, double lambda, double lr, long tokensSeen) {}

    /** Saves step {@code p.step()} and then deletes the saves beyond {@code save.keep_last}. */
    void save(Progress p, ModelConfig config, Weights weights, AdamW adam, Activation act, double actParam,
            LambdaPolicy policy, dev.prosparse.device.LossScaler scaler) {
        save(p, config, weights, d -> adam.save(d.resolve(RunDir.OPTIMIZER)), act, actParam, policy, scaler);
    }

    /** As above, with the optimizer state written into the checkpoint folder by {@code optimizerState} (ZeRO shards). */
    void save(Progress p, ModelConfig config, Weights weights, java.util.function.Consumer<Path> optimizerState,
            Activation act, double actParam, LambdaPolicy policy, dev.prosparse.device.LossScaler scaler) {
        int stage = schedule.stageAt(p.step());
        ObjectNode state = Json.MAPPER.createObjectNode();
        state.put("global_step", p.step());
        state.put("total_steps", schedule.totalSteps());
        state.put("stage", stage);
        state.put("stage_name", schedule.stages().get(stage).name());
        state.put("l1_lambda", p.lambda());
        state.put("lr", p.lr());
        state.put("tokens_seen", p.tokensSeen());
        state.put("seed", recipe.seed());
        ObjectNode cursor = state.putObject("data_cursor");
        cursor.put("sampler", "seeded random windows: SplittableRandom(mix(seed, step, micro_batch))");
        cursor.put("next_step", p.step() + 1);
        ObjectNode rng = state.putObject("rng");
        rng.put("kind", "stateless; batches are a function of (seed, step, micro_batch)");
        rng.put("seed", recipe.seed());
        state.put("recipe_sha256", Hashing.sha256(recipe.toYaml()));
        policy.saveState(state);
        if (scaler != null) {
            scaler.saveState(state);                 // fp16-mixed: scale and clean-step count, for an exact resume
        }
        Sidecar sidecar = sidecar(act, actParam, p.step(), schedule.stages().get(stage).name(), p.lambda());
        Path dir = run.path().resolve(RunDir.saveName(p.step()));
        RunDir.writeCheckpoint(dir, config.withActivation(act, actParam).withDtype("float32"), weights, DType.F32, sourceDir,
                sidecar, Map.of(RunDir.TRAINER_STATE, (pretty(state) + "\n").getBytes(StandardCharsets.UTF_8)),
                optimizerState);
        LOG.info("Saved {}", dir);
        run.pruneSaves(recipe.save().keepLast());
    }

    /** Writes {@code final/} with the given activation, in the recipe's save dtype; returns its path. */
    Path writeFinal(ModelConfig config, Weights weights, Activation act, double actParam, double lambda) {
        Path dir = run.path().resolve("final");
        RunDir.writeCheckpoint(dir, config.withActivation(act, actParam).withDtype(recipe.save().dtype()), weights,
                dtype(recipe.save().dtype()), sourceDir,
                sidecar(act, actParam, schedule.totalSteps(), "final", lambda), Map.of(), null);
        return dir;
    }

    /** The safetensors dtype of a {@code save.dtype} value. */
    static DType dtype(String hf) {
        switch (hf) {
            case "bfloat16":
                return DType.BF16;
            case "float16":
                return DType.F16;
            default:
                return DType.F32;
        }
    }

    static String pretty(ObjectNode node) {
        try {
            return Json.PRETTY.writeValueAsString(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private Sidecar sidecar(Activation act, double actParam, int step, String stage, double lambda) {
        return Sidecar.training(act.hfName(), actParam, new Sidecar.Training(sourceDir.toString(), step, stage, lambda));
    }
}
