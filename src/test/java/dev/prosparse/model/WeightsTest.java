package dev.prosparse.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.prosparse.Fixtures;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.util.Torch;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The typed per-layer weights and the one place that spells HF tensor names. */
class WeightsTest {

    @Test
    void namesAndShapesPerFamily() {
        ModelConfig qwen3 = ModelConfig.read(Fixtures.model("tiny-qwen3"));
        Map<String, long[]> s = Weights.expectedShapes(qwen3);
        assertArrayEquals(new long[] {48}, s.get("model.layers.2.self_attn.q_norm.weight"));
        assertArrayEquals(new long[] {192, 128}, s.get("model.layers.0.self_attn.q_proj.weight"), "H·D = 4·48");
        assertArrayEquals(new long[] {128, 192}, s.get("model.layers.0.self_attn.o_proj.weight"));
        assertTrue(!s.containsKey("model.layers.0.self_attn.q_proj.bias") && !s.containsKey("lm_head.weight"));
        ModelConfig qwen2 = ModelConfig.read(Fixtures.model("tiny-qwen2"));
        Map<String, long[]> q2 = Weights.expectedShapes(qwen2);
        assertArrayEquals(new long[] {128}, q2.get("model.layers.3.self_attn.q_proj.bias"));
        assertArrayEquals(new long[] {64}, q2.get("model.layers.3.self_attn.v_proj.bias"), "KV·D = 2·32");
        assertTrue(!q2.containsKey("model.layers.3.self_attn.o_proj.bias"));
        // 1 embedding + 4 layers × 12 tensors + final norm (tied: no lm_head)
        assertEquals(1 + 4 * 12 + 1, q2.size());
        assertEquals(LayerTensor.K_BIAS, LayerTensor.of("model.layers.17.self_attn.k_proj.bias"));
        assertEquals(17, LayerTensor.layerOf("model.layers.17.self_attn.k_proj.bias"));
        assertNull(LayerTensor.of("model.layers.1.self_attn.rotary_emb.inv_freq"));
        assertEquals(-1, LayerTensor.layerOf(LayerTensor.EMBED));
    }

    @Test
    void typedLayersAreBuiltOnceAndAMissingTensorIsNamed() {
        Torch.start(2);
        ModelConfig c = ModelConfig.read(Fixtures.model("tiny-qwen2"));
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> params = new LinkedHashMap<>();
            for (LayerTensor t : LayerTensor.presentIn(c)) {
                params.put(t.hfName(1), m.zeros(new ai.djl.ndarray.types.Shape(t.shape(c))));
            }
            Weights w = Weights.of(m, params, true);
            LayerWeights l1 = w.layer(1);
            assertSame(params.get("model.layers.1.self_attn.q_proj.bias"), l1.qBias());
            assertSame(params.get("model.layers.1.mlp.down_proj.weight"), l1.down());
            assertNull(l1.qNorm(), "qwen2 has no q_norm");
            assertNull(l1.oBias(), "qwen2 has no o_proj bias");
            assertThrows(IllegalArgumentException.class, () -> w.layer(0), "a layer-streamed subset holds layer 1 only");
            assertEquals(List.copyOf(params.keySet()), List.copyOf(w.asMap().keySet()), "HF order kept");

            params.remove("model.layers.1.mlp.up_proj.weight");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Weights.of(m, params, true));
            assertTrue(e.getMessage().contains("'model.layers.1.mlp.up_proj.weight' is missing"), e.getMessage());
        }
    }
}
