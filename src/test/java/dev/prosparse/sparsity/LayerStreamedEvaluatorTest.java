package dev.prosparse.sparsity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.prosparse.Fixtures;
import dev.prosparse.TorchTestBase;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.data.EvalWindows;
import dev.prosparse.data.TokenStream;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.HfCheckpoint;
import dev.prosparse.config.Activation;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.Weights;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Layer-by-layer evaluation gives the whole-model numbers: zero counts exactly, loss to 1e-6 relative. */
class LayerStreamedEvaluatorTest extends TorchTestBase {

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"tiny-llama, relu, 0", "tiny-minicpm, relu, 0", "tiny-minicpm, fatrelu, 0.01", "tiny-llama, silu, 0",
        "tiny-llama3, relu, 0", "tiny-qwen2, relu, 0", "tiny-qwen3, fatrelu, 0.01", "tiny-mistral, relu, 0"})
    void streamedEqualsWholeModel(String name, String actName, double param) {
        HfCheckpoint ckpt = HfCheckpoint.open(Fixtures.model(name));
        ModelConfig config = ckpt.config();
        Activation act = Activation.parse(actName, "test");
        TokenStream stream = Fixtures.validationTokens(ckpt);
        // batches of 4: 4 + 4 + 3; 80 tokens: longer than tiny-mistral's 64-token sliding window
        EvalWindows windows = EvalWindows.over(stream, 11, 80, "embedded:valid");
        SparsityResult whole, streamed;
        try (CheckpointFiles files = ckpt.files()) {
            try (Weights w = Weights.load(config, files, base)) {
                whole = SparsityEvaluator.evaluate(new CausalLM(config, w, act, param), base, stream, windows, 4, null);
            }
            int[] steps = {0};
            streamed = LayerStreamedEvaluator.evaluate(config, files, act, param, base, stream, windows, 4,
                    done -> steps[0] = done);
            assertEquals(config.numHiddenLayers() + 2, steps[0], "progress reaches layers + 2");
        }
        double rel = Math.abs(streamed.loss() - whole.loss()) / whole.loss();
        assertTrue(rel <= 1e-6, "loss " + streamed.loss() + " vs " + whole.loss());
        assertArrayEquals(whole.layerZeros(), streamed.layerZeros(), "zero counts");
        assertArrayEquals(whole.layerCount(), streamed.layerCount(), "entry counts");
        for (int l = 0; l < config.numHiddenLayers(); l++) {
            assertEquals(whole.layerAbsSum()[l], streamed.layerAbsSum()[l], 1e-9 * whole.layerAbsSum()[l], "Σ|x1| layer " + l);
        }
        assertEquals(whole.tokens(), streamed.tokens());
    }

    @Test
    void loaderReadsEveryTensorExactly() {
        Path dir = Fixtures.model("tiny-minicpm");
        try (CheckpointFiles files = CheckpointFiles.open(dir); NDManager m = base.newSubManager()) {
            TensorLoader small = new TensorLoader(files, 1000);        // many partial chunks per tensor
            for (String name : files.names()) {
                float[] expected = files.readFloat32(name);
                NDArray a = small.load(name, m);
                assertArrayEquals(files.info(name).shape(), a.getShape().getShape(), name);
                assertArrayEquals(expected, a.toFloatArray(), name);
            }
        }
    }
}
