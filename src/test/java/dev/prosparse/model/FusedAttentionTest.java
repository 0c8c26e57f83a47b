package dev.prosparse.model;

import dev.prosparse.config.Activation;
import static dev.prosparse.model.GoldenModelTest.relErr;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.Fixtures;
import dev.prosparse.TorchTestBase;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.util.Torch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fused attention ({@code attention: sdpa}, PyTorch's scaled_dot_product_attention through a TorchScript module
 * written in Java) where the golden files do not reach: past a sliding window. Its logits and gradients against
 * transformers' golden values are in {@link GoldenModelTest#gradientsMatchTransformers}.
 */
class FusedAttentionTest extends TorchTestBase {

    /**
     * tiny-mistral slides a 64-token window; windows of 96 tokens take the masked kernel. It must agree with the eager
     * attention (which builds the same mask itself), and the window must matter (full causal attention differs).
     */
    @Test
    void slidingWindowLongerThanTheWindowAgreesWithEager() throws IOException {
        Path dir = Fixtures.model("tiny-mistral");
        ModelConfig config = ModelConfig.read(dir);
        assertEquals(64, config.slidingWindow(0), "fixture's window");
        long[] ids = new long[2 * 96];
        Random r = new Random(7);
        for (int i = 0; i < ids.length; i++) {
            ids[i] = 3 + r.nextInt(config.vocabSize() - 3);
        }
        try (CheckpointFiles files = CheckpointFiles.open(dir);
                Weights w = Weights.load(config, files, base);
                NDManager scope = base.newSubManager()) {
            NDArray input = Torch.fromLongs(scope, ids, new Shape(2, 96));
            CausalLM eager = new CausalLM(config, w, Activation.RELU, 0).withAttention(AttentionKernel.EAGER);
            float[] expected = eager.forward(input, false).logits().toFloatArray();
            float[] fused = eager.withAttention(AttentionKernel.SDPA).forward(input, false).logits().toFloatArray();
            double err = relErr(fused, expected);
            assertTrue(err <= 1e-5, "sdpa vs eager logits relative error " + err);

            ModelConfig noWindow = ModelConfig.parse(((com.fasterxml.jackson.databind.node.ObjectNode) config.raw().deepCopy())
                    .putNull("sliding_window").toString(), "test");
            float[] full = new CausalLM(noWindow, w, Activation.RELU, 0).withAttention(AttentionKernel.SDPA)
                    .forward(input, false).logits().toFloatArray();
            assertTrue(relErr(full, expected) > 1e-3, "the window should change the logits past position 64");
        }
    }

    @Test
    void autoIsEagerOnTheCpu() {
        assertTrue(!AttentionKernel.AUTO.fusedOn(ai.djl.Device.cpu()));
        assertTrue(AttentionKernel.AUTO.fusedOn(ai.djl.Device.gpu()));
        assertTrue(AttentionKernel.SDPA.fusedOn(ai.djl.Device.cpu()));
        assertEquals(AttentionKernel.SDPA, AttentionKernel.parse(" SDPA "));
    }
}
