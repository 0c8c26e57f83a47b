package dev.prosparse.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.prosparse.TorchTest;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.device.LossScaler;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.HfCheckpoint;
import dev.prosparse.model.Activation;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.Weights;
import dev.prosparse.optim.AdamW;
import dev.prosparse.optim.StateBytes;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training state of an fp16-mixed step is 16 bytes per parameter: one real step on tiny-llama with two
 * micro-batches (libtorch runs float16 on the CPU too, slowly; the trainer itself refuses fp16-mixed there).
 */
class TrainStepStateTest extends TorchTest {

    /**
     * tiny-llama by hand from its config.json (vocab 4096, hidden 128, 4 layers, 4 heads of 32, 2 KV heads, inter 352,
     * untied): embed + lm_head 2·4096·128 = 1,048,576; final norm 128; per layer q 128·128 + k, v 2·128·64 + o 128·128
     * + gate, up, down 3·128·352 + two norms 2·128 = 184,576, ×4 = 738,304.
     */
    private static final long TINY_LLAMA_PARAMETERS = 1_048_576 + 128 + 738_304;

    @Test
    void fp16MixedStepHoldsSixteenBytesPerParameter(@TempDir Path tmp) {
        Recipe r = TrainerTest.shortRecipe(tmp, "precision=fp16-mixed", "grad_accum=2");
        HfCheckpoint source = HfCheckpoint.open(Path.of(r.model()));
        TrainData data = TrainData.load(r, source, tmp.resolve(".token-cache"));
        ModelConfig config = source.config();
        try (NDManager m = base.newSubManager(); CheckpointFiles files = CheckpointFiles.open(Path.of(r.model()))) {
            Weights w = Weights.load(config, files, m);
            w.asMap().values().forEach(p -> p.setRequiresGradient(true));
            try (AdamW adam = new AdamW(m, w.asMap(), 0.9, 0.95, 1e-8, 0.0)) {
                CausalLM model = new CausalLM(config, w, Activation.RELU, 0);
                TrainStep step = new TrainStep(Engine.getInstance(), model, w.asMap(), adam, data.sampler(), r,
                        new LossScaler(1024, 2000));
                float before = w.get("model.layers.0.mlp.down_proj.weight").toFloatArray()[0];
                TrainStep.Stats s = step.run(1, 0.5, 1e-3, m);
                assertTrue(s.finite() && !s.skipped(), "a clean step: " + s);
                assertTrue(before != w.get("model.layers.0.mlp.down_proj.weight").toFloatArray()[0], "the masters moved");
                StateBytes b = step.stateBytes();
                long n = TINY_LLAMA_PARAMETERS;
                assertEquals(n, b.parameters());
                assertEquals(2 * n, b.weights(), "float16 compute copies");
                assertEquals(2 * n, b.gradients(), "float16 gradients, no float32 set");
                assertEquals(4 * n, b.master(), "float32 masters");
                assertEquals(8 * n, b.moments(), "two float32 moments");
                assertEquals(16.0, b.perParameter());
                assertFalse(b.describe().contains("host memory"));
            }
        }
    }
}
