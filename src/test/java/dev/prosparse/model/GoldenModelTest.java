package dev.prosparse.model;

import dev.prosparse.config.Activation;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.Fixtures;
import dev.prosparse.TorchTestBase;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.SafetensorsFile;
import dev.prosparse.util.Json;
import dev.prosparse.util.Torch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The forward pass and its gradients against what HuggingFace transformers computes
 * ({@code fixtures/golden}), to the tolerances of {@code fixtures/README.md}.
 */
class GoldenModelTest extends TorchTestBase {
    static final String[] MODELS = {"tiny-llama", "small-llama", "tiny-minicpm",
        "tiny-llama3", "tiny-qwen2", "tiny-qwen3", "tiny-mistral"};
    static final String[] ACTS = {"silu", "relu", "fatrelu", "drelu", "relu2", "shiftrelu"};
    /** "exact up to a few entries whose pre-activation sits within 1e-6 of the threshold". */
    static final int ZERO_COUNT_SLACK = 3;


    static Stream<Arguments> cases() {
        List<Arguments> l = new ArrayList<>();
        for (String m : MODELS) {
            for (String a : ACTS) {
                l.add(Arguments.of(m, a));
            }
        }
        return l.stream();
    }

    static JsonNode golden(String model) throws IOException {
        return Json.MAPPER.readTree(Fixtures.golden(model + ".json").toFile());
    }

    /** The golden windows' shape: [2, 32] for the first fixtures, [2, 48] for the families added later. */
    static Shape inputShape(String model) throws IOException {
        JsonNode s = golden(model).get("input_ids_shape");
        return s == null ? new Shape(2, 32) : new Shape(s.get(0).asLong(), s.get(1).asLong());
    }

    static long[] inputIds(String model) {
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.golden(model + ".safetensors"))) {
            return f.readInt64("input_ids");
        }
    }

    static float[] goldenLogits(String model, String key) {
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.golden(model + ".safetensors"))) {
            return f.readFloat32(key);
        }
    }

    static double relErr(float[] a, float[] b) {
        assertEquals(b.length, a.length, "length");
        double num = 0, den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            num += d * d;
            den += (double) b[i] * b[i];
        }
        return Math.sqrt(num / den);
    }

    static void assertRel(double expected, double actual, double tol, String what) {
        double rel = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-30);
        assertTrue(rel <= tol, what + ": expected " + expected + ", got " + actual + " (relative error " + rel + ")");
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void forwardMatchesTransformers(String modelName, String actName) throws IOException {
        JsonNode g = golden(modelName).get("acts").get(actName);
        Path dir = Fixtures.model(modelName);
        ModelConfig config = ModelConfig.read(dir);
        Activation act = Activation.parse(actName, "test");
        long[] ids = inputIds(modelName);
        try (CheckpointFiles files = CheckpointFiles.open(dir);
                Weights w = Weights.load(config, files, base);
                NDManager scope = base.newSubManager()) {
            CausalLM model = new CausalLM(config, w, act, g.get("param").asDouble());
            NDArray input = Torch.fromLongs(scope, ids, inputShape(modelName));
            CausalLM.Output out = model.forward(input, true);

            // logits: the whole [2, 32, V] for silu and relu, the last position [2, V] for the others
            boolean full = actName.equals("silu") || actName.equals("relu");
            NDArray logits = full ? out.logits() : out.logits().get(new NDIndex(":, -1, :"));
            float[] expected = goldenLogits(modelName, full ? "logits_" + actName : "logits_" + actName + "_last");
            double err = relErr(logits.toFloatArray(), expected);
            assertTrue(err <= 1e-5, "logits relative error " + err);

            NDArray loss = CausalLM.crossEntropy(out.logits().get(new NDIndex(":, :-1, :")),
                    input.get(new NDIndex(":, 1:")));
            assertRel(g.get("loss").asDouble(), loss.getFloat(), 1e-5, "loss");

            double l1 = 0;
            JsonNode perLayer = g.get("per_layer_zero_fraction");
            for (int l = 0; l < config.numHiddenLayers(); l++) {
                CausalLM.LayerStats s = CausalLM.stats(out.x1().get(l));
                l1 += s.absSum() / s.count();
                long expectedZeros = Math.round(perLayer.get(l).asDouble() * s.count());
                assertTrue(Math.abs(s.zeros() - expectedZeros) <= ZERO_COUNT_SLACK,
                        "layer " + l + " zeros: expected " + expectedZeros + ", got " + s.zeros());
            }
            assertRel(g.get("l1_sum_of_layer_means").asDouble(), l1, 1e-5, "Σ-layer mean |x1|");
        }
    }

    static Stream<Arguments> modelsAndKernels() {
        List<Arguments> l = new ArrayList<>();
        for (String m : MODELS) {
            for (AttentionKernel k : new AttentionKernel[] {AttentionKernel.EAGER, AttentionKernel.SDPA}) {
                l.add(Arguments.of(m, k));
            }
        }
        return l.stream();
    }

    /**
     * ReLU logits, CE + λ·Σ mean|x1| and every parameter's gradient norm, with the eager attention and with the fused
     * one (PyTorch's scaled_dot_product_attention through the TorchScript module prosparse writes).
     */
    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("modelsAndKernels")
    void gradientsMatchTransformers(String modelName, AttentionKernel kernel) throws IOException {
        JsonNode g = golden(modelName).get("grad_check");
        Path dir = Fixtures.model(modelName);
        ModelConfig config = ModelConfig.read(dir);
        try (CheckpointFiles files = CheckpointFiles.open(dir);
                Weights w = Weights.load(config, files, base);
                NDManager scope = base.newSubManager()) {
            for (NDArray p : w.asMap().values()) {
                p.setRequiresGradient(true);
            }
            CausalLM model = new CausalLM(config, w, Activation.RELU, 0).withAttention(kernel);
            NDArray input = Torch.fromLongs(scope, inputIds(modelName), inputShape(modelName));
            double lossValue;
            try (GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                CausalLM.Output out = model.forward(input, true);
                double err = relErr(out.logits().toFloatArray(), goldenLogits(modelName, "logits_relu"));
                assertTrue(err <= 1e-5, "logits relative error " + err);
                NDArray loss = CausalLM.crossEntropy(out.logits().get(new NDIndex(":, :-1, :")),
                        input.get(new NDIndex(":, 1:")));
                NDArray l1 = null;
                for (NDArray x1 : out.x1()) {
                    NDArray m = x1.abs().mean();
                    l1 = l1 == null ? m : l1.add(m);
                }
                NDArray total = loss.add(l1.mul(Torch.scalar(scope, g.get("lambda").asDouble())));
                gc.backward(total);
                lossValue = total.getFloat();
            }
            assertRel(g.get("loss").asDouble(), lossValue, 1e-5, "CE + λ·L1");
            for (Map.Entry<String, JsonNode> e : iterable(g.get("grad_norms"))) {
                NDArray grad = w.get(e.getKey()).getGradient();
                double norm = grad.norm().getFloat();
                assertRel(e.getValue().asDouble(), norm, 1e-4, "‖∇ " + e.getKey() + "‖");
            }
        }
    }

    /**
     * Real hub configs carry the legacy form: {@code rope_scaling} (here with {@code type}, the oldest spelling) and a
     * top-level {@code rope_theta}, {@code torch_dtype}. The fixture's config rewritten that way gives the golden logits.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama3", "tiny-qwen2"})
    void legacyConfigFormGivesTheSameLogits(String modelName, @org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Path dir = Fixtures.model(modelName);
        com.fasterxml.jackson.databind.node.ObjectNode cfg =
                (com.fasterxml.jackson.databind.node.ObjectNode) Json.MAPPER.readTree(dir.resolve("config.json").toFile());
        com.fasterxml.jackson.databind.node.ObjectNode rope =
                (com.fasterxml.jackson.databind.node.ObjectNode) cfg.remove("rope_parameters");
        cfg.set("rope_theta", rope.remove("rope_theta"));
        String type = rope.remove("rope_type").asText();
        if (type.equals("default")) {
            cfg.putNull("rope_scaling");
        } else {
            rope.put("type", type);
            cfg.set("rope_scaling", rope);
        }
        cfg.set("torch_dtype", cfg.remove("dtype"));
        cfg.remove("layer_types");
        java.nio.file.Files.writeString(tmp.resolve("config.json"), Json.MAPPER.writeValueAsString(cfg));
        ModelConfig legacy = ModelConfig.read(tmp);
        ModelConfig modern = ModelConfig.read(dir);
        assertEquals(modern.rope(), legacy.rope());
        assertEquals(modern.attention().slidingWindows(), legacy.attention().slidingWindows());
        assertEquals(modern.qkvBias(), legacy.qkvBias());
        try (CheckpointFiles files = CheckpointFiles.open(dir);
                Weights w = Weights.load(legacy, files, base);
                NDManager scope = base.newSubManager()) {
            CausalLM model = new CausalLM(legacy, w, Activation.RELU, 0);
            NDArray input = Torch.fromLongs(scope, inputIds(modelName), inputShape(modelName));
            double err = relErr(model.forward(input, false).logits().toFloatArray(), goldenLogits(modelName, "logits_relu"));
            assertTrue(err <= 1e-5, "logits relative error " + err);
        }
    }

    /** The llama3 rope scaling matters on these windows: without it the logits leave the tolerance. */
    @org.junit.jupiter.api.Test
    void llama3ScalingIsNotANoOp() throws IOException {
        Path dir = Fixtures.model("tiny-llama3");
        ModelConfig scaled = ModelConfig.read(dir);
        com.fasterxml.jackson.databind.node.ObjectNode raw = scaled.raw().deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) raw.get("rope_parameters")).put("rope_type", "default");
        ModelConfig plain = ModelConfig.parse(raw.toString(), "test");
        try (CheckpointFiles files = CheckpointFiles.open(dir);
                Weights w = Weights.load(plain, files, base);
                NDManager scope = base.newSubManager()) {
            NDArray input = Torch.fromLongs(scope, inputIds("tiny-llama3"), inputShape("tiny-llama3"));
            float[] logits = new CausalLM(plain, w, Activation.RELU, 0).forward(input, false).logits().toFloatArray();
            double err = relErr(logits, goldenLogits("tiny-llama3", "logits_relu"));
            assertTrue(err > 1e-3, "without llama3 scaling the error should be large, was " + err);
        }
    }

    static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode n) {
        return n::fields;
    }
}
