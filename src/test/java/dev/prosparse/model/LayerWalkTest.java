package dev.prosparse.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.Fixtures;
import dev.prosparse.TorchTest;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.util.Torch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The one layer walk (docs/layer-walk.md) on tiny-minicpm (the family with residual scales) with ReLU: two lanes
 * through a streamed-style source reproduce transformers' logits, the hooks see every layer in order, an override
 * that keeps x1 changes nothing, and one that zeroes x1 is seen by the observer and changes the logits.
 */
class LayerWalkTest extends TorchTest {
    private static final String MODEL = "tiny-minicpm";

    @Test
    void lanesThroughALayerSourceMatchTransformers() throws Exception {
        Path dir = Fixtures.model(MODEL);
        ModelConfig config = ModelConfig.read(dir);
        long[] ids = GoldenModelTest.inputIds(MODEL);                                    // [2, 32]
        float[] golden = GoldenModelTest.goldenLogits(MODEL, "logits_relu");             // [2, 32, V]
        int seq = ids.length / 2;
        try (CheckpointFiles files = CheckpointFiles.open(dir); Weights w = Weights.load(config, files, base);
                NDManager scope = base.newSubManager()) {
            CausalLM model = new CausalLM(config, w, Activation.RELU, 0);
            List<Integer> seen = new ArrayList<>();
            LayerSource counting = layer -> {
                seen.add(layer);
                return w.layer(layer);
            };
            List<String> observed = new ArrayList<>();
            LayerHooks hooks = LayerHooks.observing((layer, lane, input, x1) -> observed.add(layer + "/" + lane + " "
                    + input.getShape() + " " + x1.getShape()));
            NDArray row0 = Torch.fromLongs(scope, Arrays.copyOfRange(ids, 0, seq), new Shape(1, seq));
            NDArray row1 = Torch.fromLongs(scope, Arrays.copyOfRange(ids, seq, 2 * seq), new Shape(1, seq));
            LayerWalk walk = new LayerWalk(model, model.positions(row0), counting, LayerWalk.Scopes.PER_LAYER, hooks);
            walk.lane(model.embed(row0), scope);
            walk.lane(model.embed(row1), scope);
            walk.layers();

            assertEquals(List.of(0, 1, 2, 3), seen, "each layer's weights fetched once, in order, for both lanes");
            String e = "(1, 32, 128)", i = "(1, 32, 320)";
            List<String> expected = new ArrayList<>();
            for (int l = 0; l < 4; l++) {
                expected.add(l + "/0 " + e + " " + i);
                expected.add(l + "/1 " + e + " " + i);
            }
            assertEquals(expected, observed);
            float[] logits = new float[golden.length];
            for (int lane = 0; lane < 2; lane++) {
                float[] part = model.head(walk.hidden(lane)).toFloatArray();              // [1, 32, V]
                System.arraycopy(part, 0, logits, lane * part.length, part.length);
            }
            double err = GoldenModelTest.relErr(logits, golden);
            assertTrue(err <= 1e-5, "logits relative error against transformers " + err);
        }
    }

    /** The test body, given tiny-minicpm with ReLU and its golden ids [2, 32] in {@code scope}. */
    private interface Body {
        void run(CausalLM model, ModelConfig config, NDArray in, NDManager scope);
    }

    private static void withModel(Body body) throws Exception {
        Path dir = Fixtures.model(MODEL);
        ModelConfig config = ModelConfig.read(dir);
        long[] ids = GoldenModelTest.inputIds(MODEL);
        try (CheckpointFiles files = CheckpointFiles.open(dir); Weights w = Weights.load(config, files, base);
                NDManager scope = base.newSubManager()) {
            body.run(new CausalLM(config, w, Activation.RELU, 0), config,
                    Torch.fromLongs(scope, ids, new Shape(2, ids.length / 2)), scope);
        }
    }

    @Test
    void overridesChangeOnlyWhatTheyReturn() throws Exception {
        withModel((model, config, in, scope) -> {
            float[] plain = model.forward(in, false).logits().toFloatArray();

            LayerHooks keep = new LayerHooks((layer, ffn) -> ffn.x1(), null);
            float[] kept = model.head(LayerWalk.run(model, in, LayerWalk.Scopes.PER_LAYER, keep)).toFloatArray();
            assertArrayEquals(plain, kept, "an override that keeps x1 is the plain model, bit for bit");

            long[] zeros = new long[config.numHiddenLayers()];
            LayerHooks dropFirst = new LayerHooks((layer, ffn) -> layer == 0 ? ffn.x1().zerosLike() : ffn.x1(),
                    (layer, lane, input, x1) -> zeros[layer] = x1.getShape().size() - x1.countNonzero().getLong());
            float[] dropped = model.head(LayerWalk.run(model, in, LayerWalk.Scopes.WHOLE_GRAPH, dropFirst)).toFloatArray();
            assertEquals(2L * 32 * config.intermediateSize(), zeros[0], "the observer sees the overridden x1");
            assertTrue(zeros[1] < zeros[0], "later layers keep their own x1: " + zeros[1]);
            assertFalse(Arrays.equals(plain, dropped), "no FFN in layer 0 changes the logits");
        });
    }

    @Test
    void keepInputsKeepsEachLayersInput() throws Exception {
        withModel((model, config, in, scope) -> {
            LayerWalk walk = LayerWalk.of(model, model.positions(in), LayerWalk.Scopes.KEEP_INPUTS, LayerHooks.NONE);
            walk.lane(model.embed(in), scope);
            walk.layers();
            List<NDArray> inputs = walk.inputs(0);
            assertEquals(config.numHiddenLayers(), inputs.size());
            assertArrayEquals(model.embed(in).toFloatArray(), inputs.get(0).toFloatArray(), "layer 0's input is the embedding");
            for (int l = 0; l < inputs.size(); l++) {
                NDArray next = model.decoderLayer(inputs.get(l), l, model.positions(in), null);
                NDArray expected = l + 1 < inputs.size() ? inputs.get(l + 1) : walk.hidden(0);
                assertArrayEquals(expected.toFloatArray(), next.toFloatArray(), "layer " + l + " recomputed from its kept input");
            }
        });
    }
}
