package dev.prosparse.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.model.Weights;
import dev.prosparse.util.Torch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A few training steps on each new family's tiny fixture (q/k/v biases, q/k norms, sliding window and llama3 rope
 * all trained), and resume is exact: the pattern of {@link TrainerTest}, per family.
 */
class TrainerFamiliesTest {

    @BeforeAll
    static void start() {
        Torch.start(2);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama3", "tiny-qwen2", "tiny-qwen3", "tiny-mistral"})
    void trainsAndResumesExactly(String model, @TempDir Path tmp) throws IOException {
        // seq_len 80: longer than tiny-mistral's 64-token sliding window
        Recipe r = TrainerTest.shortRecipe(tmp, "model=" + Fixtures.model(model), "seq_len=80");
        Trainer.Result straight = TrainerTest.train(r, tmp.resolve("straight"), null);

        Path resumed = tmp.resolve("resumed");
        ProsparseException stop = assertThrows(ProsparseException.class, () -> TrainerTest.train(r, resumed, 5));
        assertEquals(ProsparseException.Kind.INTERRUPTED, stop.kind());
        Trainer.Result second = TrainerTest.train(Recipe.load(resumed.resolve(RunDir.RECIPE), List.of()), resumed, null);

        byte[] a = Files.readAllBytes(straight.finalDir().resolve("model.safetensors"));
        byte[] b = Files.readAllBytes(second.finalDir().resolve("model.safetensors"));
        assertArrayEquals(a, b, model + ": final weights bit for bit");
        assertEquals(TrainerTest.trainLosses(tmp.resolve("straight")), TrainerTest.trainLosses(resumed), "metrics.jsonl");

        // the output is a checkpoint of the same family, every tensor in place, and training moved the family's own tensors
        ModelConfig src = ModelConfig.read(Fixtures.model(model));
        ModelConfig out = ModelConfig.read(straight.finalDir());
        assertEquals(src.modelType(), out.modelType());
        assertEquals(src.raw().get("rope_parameters"), out.raw().get("rope_parameters"));
        assertEquals(src.attention(), out.attention());
        try (ai.djl.ndarray.NDManager base = ai.djl.ndarray.NDManager.newBaseManager();
                CheckpointFiles sf = CheckpointFiles.open(Fixtures.model(model));
                CheckpointFiles of = CheckpointFiles.open(straight.finalDir());
                Weights before = Weights.load(src, sf, base);
                Weights after = Weights.load(out, of, base)) {
            assertEquals(before.asMap().keySet(), after.asMap().keySet());
            String own = src.qkvBias() ? "model.layers.0.self_attn.q_proj.bias"
                    : src.qkNorm() ? "model.layers.0.self_attn.q_norm.weight" : "model.layers.0.self_attn.q_proj.weight";
            float[] x = before.get(own).toFloatArray(), y = after.get(own).toFloatArray();
            double diff = 0;
            for (int i = 0; i < x.length; i++) {
                diff += Math.abs(x[i] - y[i]);
            }
            assertTrue(diff > 0, own + " was trained");
        }
    }
}
