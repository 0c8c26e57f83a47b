package dev.prosparse.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.Fixtures;
import dev.prosparse.ProsparseException;
import dev.prosparse.model.Activation;
import dev.prosparse.util.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelConfigTest {

    @Test
    void readsTransformers5Llama() {
        ModelConfig c = ModelConfig.read(Fixtures.model("tiny-llama"));
        assertEquals("llama", c.modelType());
        assertEquals(128, c.hiddenSize());
        assertEquals(352, c.intermediateSize());
        assertEquals(4, c.numHiddenLayers());
        assertEquals(4, c.numAttentionHeads());
        assertEquals(2, c.numKeyValueHeads());
        assertEquals(32, c.headDim());
        assertEquals(10000.0, c.ropeTheta());         // from rope_parameters.rope_theta
        assertEquals("bfloat16", c.dtype());           // from dtype
        assertEquals(Activation.SILU, c.hiddenAct());
        assertFalse(c.tieWordEmbeddings());
    }

    @Test
    void readsTransformers4MiniCpm() {
        ModelConfig c = ModelConfig.read(Fixtures.model("tiny-minicpm"));
        assertEquals(ModelType.MINICPM, c.family());
        assertEquals(10000.0, c.ropeTheta());          // top-level rope_theta
        assertEquals("bfloat16", c.dtype());            // torch_dtype
        assertTrue(c.tieWordEmbeddings());
        assertEquals(12.0, c.embeddingScale());
        assertEquals(1.4 / 2.0, c.residualScale(), 1e-15);
        assertEquals(2.0, c.logitDivisor());
    }

    @Test
    void activationSwapChangesOnlyHiddenActAndKeepsUnknownKeys(@TempDir Path tmp) throws Exception {
        ModelConfig src = ModelConfig.read(Fixtures.model("tiny-minicpm"));
        ModelConfig fat = src.withActivation(Activation.FATRELU, 0.01);
        fat.write(tmp);
        JsonNode before = Json.MAPPER.readTree(Files.readString(Fixtures.model("tiny-minicpm").resolve("config.json")));
        ObjectNode after = (ObjectNode) Json.MAPPER.readTree(Files.readString(tmp.resolve("config.json")));
        assertEquals("fatrelu", after.get("hidden_act").asText());
        assertEquals(0.01, after.get("hidden_act_param").asDouble());
        assertEquals(before.get("auto_map"), after.get("auto_map"));  // an unknown key, kept as it was
        after.remove("hidden_act_param");
        after.put("hidden_act", "silu");
        assertEquals(before, after);                                   // nothing else changed
        // and back to relu drops the parameter
        assertFalse(fat.withActivation(Activation.RELU, 0).raw().has("hidden_act_param"));
        // key order is kept
        assertEquals(iterKeys(before), iterKeys(Json.MAPPER.readTree(Files.readString(tmp.resolve("config.json")))).replace(",hidden_act_param", ""));
    }

    static String iterKeys(JsonNode n) {
        StringBuilder b = new StringBuilder();
        n.fieldNames().forEachRemaining(k -> b.append(b.length() == 0 ? "" : ",").append(k));
        return b.toString();
    }

    static String llama(String extra) {
        return "{\"model_type\":\"llama\",\"vocab_size\":10,\"hidden_size\":8,\"intermediate_size\":16,"
                + "\"num_hidden_layers\":1,\"num_attention_heads\":2,\"num_key_value_heads\":1,\"rms_norm_eps\":1e-5,"
                + "\"hidden_act\":\"silu\"" + extra + "}";
    }

    @Test
    void defaultsAndGqa() {
        ModelConfig c = ModelConfig.parse(llama(""), "t");
        assertEquals(4, c.headDim());
        assertEquals(10000.0, c.ropeTheta());
    }

    @Test
    void unsupportedFeaturesAreRefusedByKey() {
        assertRefused(llama(",\"rope_scaling\":{\"rope_type\":\"linear\",\"factor\":2.0}"), "rope_scaling.rope_type \"linear\"");
        assertRefused(llama(",\"rope_scaling\":{\"type\":\"dynamic\",\"factor\":2.0}"), "rope_scaling.rope_type \"dynamic\"");
        assertRefused(llama(",\"rope_parameters\":{\"rope_theta\":1e4,\"rope_type\":\"yarn\"}"), "rope_parameters.rope_type \"yarn\"");
        assertRefused(llama(",\"rope_parameters\":{\"rope_theta\":1e4,\"rope_type\":\"llama3\"}"), "rope_parameters.factor is missing");
        assertRefused(llama(",\"mlp_bias\":true"), "mlp_bias");
        assertRefused(llama(",\"hidden_act\":\"gelu\"").replace("\"hidden_act\":\"silu\",", ""), "gelu");
        assertRefused(llama("").replace("\"llama\"", "\"gpt2\""), "model_type \"gpt2\" is not supported; prosparse handles llama, mistral, qwen2, qwen3, minicpm");
        assertRefused(llama(",\"layer_types\":[\"sliding_attention\"]").replace("\"llama\"", "\"qwen2\""), "layer_types[0] is sliding_attention");
        assertRefused(llama(",\"layer_types\":[\"chunked_attention\"]").replace("\"llama\"", "\"qwen3\""), "layer_types[0] \"chunked_attention\"");
        assertRefused(llama(",\"rope_scaling\":{\"rope_type\":\"llama3\",\"factor\":8.0,\"low_freq_factor\":1.0,"
                + "\"high_freq_factor\":4.0,\"original_max_position_embeddings\":8192}").replace("\"llama\"", "\"minicpm\""),
                "rope_scaling.rope_type \"llama3\" is not supported for minicpm");
        assertRefused(llama("").replace("\"num_key_value_heads\":1", "\"num_key_value_heads\":3"), "num_key_value_heads");
        assertRefused("[1,2]", "JSON object");
        assertRefused("{", "not valid JSON");
    }

    /** The per-family rules of transformers 5.17 (see AttentionFeatures), one config each. */
    @Test
    void familyFeaturesFollowTransformers() {
        ModelConfig llama = ModelConfig.parse(llama(",\"attention_bias\":true,\"sliding_window\":2"), "t");
        assertTrue(llama.qkvBias() && llama.oBias() && !llama.qkNorm());
        assertEquals(0, llama.slidingWindow(0), "llama ignores sliding_window, as transformers does");
        ModelConfig qwen2 = ModelConfig.parse(llama(",\"attention_bias\":false").replace("\"llama\"", "\"qwen2\""), "t");
        assertTrue(qwen2.qkvBias() && !qwen2.oBias() && !qwen2.qkNorm(), "qwen2: q/k/v bias always, o_proj none");
        ModelConfig qwen3 = ModelConfig.parse(llama("").replace("\"llama\"", "\"qwen3\""), "t");
        assertTrue(!qwen3.qkvBias() && qwen3.qkNorm());
        ModelConfig mistral = ModelConfig.parse(llama(",\"attention_bias\":true").replace("\"llama\"", "\"mistral\""), "t");
        assertTrue(!mistral.qkvBias() && !mistral.oBias());
        assertEquals(4096, mistral.slidingWindow(0), "MistralConfig's default window when the key is absent");
        ModelConfig mistralNull = ModelConfig.parse(llama(",\"sliding_window\":null").replace("\"llama\"", "\"mistral\""), "t");
        assertEquals(0, mistralNull.slidingWindow(0));
    }

    @Test
    void qwenSlidingWindowLayers() {
        String four = llama("").replace("\"llama\"", "\"qwen2\"").replace("\"num_hidden_layers\":1", "\"num_hidden_layers\":4");
        // use_sliding_window false: no window whatever sliding_window says (Qwen2.5's hub configs)
        ModelConfig off = ModelConfig.parse(four.replace("}", ",\"sliding_window\":32,\"max_window_layers\":2}"), "t");
        assertEquals(java.util.List.of(0, 0, 0, 0), off.attention().slidingWindows());
        // on, without layer_types: layers from max_window_layers on slide
        ModelConfig on = ModelConfig.parse(four.replace("}", ",\"use_sliding_window\":true,\"sliding_window\":32,\"max_window_layers\":2}"), "t");
        assertEquals(java.util.List.of(0, 0, 32, 32), on.attention().slidingWindows());
        // transformers 5's layer_types wins over max_window_layers
        ModelConfig typed = ModelConfig.parse(four.replace("}", ",\"use_sliding_window\":true,\"sliding_window\":32,"
                + "\"max_window_layers\":2,\"layer_types\":[\"sliding_attention\",\"full_attention\",\"full_attention\",\"sliding_attention\"]}"), "t");
        assertEquals(java.util.List.of(32, 0, 0, 32), typed.attention().slidingWindows());
    }

    /** Real hub configs carry the legacy keys: rope_scaling (type or rope_type) and a top-level rope_theta. */
    @Test
    void legacyRopeScalingEqualsRopeParameters() {
        ModelConfig modern = ModelConfig.read(Fixtures.model("tiny-llama3"));
        assertEquals(RopeParameters.RopeType.LLAMA3, modern.rope().type());
        assertEquals(new RopeParameters(RopeParameters.RopeType.LLAMA3, 500000.0, 8.0, 1.0, 4.0, 64), modern.rope());
        ModelConfig legacy = ModelConfig.parse(llama(",\"rope_theta\":500000.0,\"rope_scaling\":{\"factor\":8.0,"
                + "\"low_freq_factor\":1.0,\"high_freq_factor\":4.0,\"original_max_position_embeddings\":64,\"rope_type\":\"llama3\"}"), "t");
        assertEquals(modern.rope(), legacy.rope());
        ModelConfig plain = ModelConfig.parse(llama(",\"rope_theta\":1000000.0,\"rope_scaling\":null"), "t");
        assertEquals(new RopeParameters(RopeParameters.RopeType.DEFAULT, 1e6, 0, 0, 0, 0), plain.rope());
    }

    /** A config claiming 2³¹−1 layers parses in constant memory (nothing is allocated per layer). */
    @Test
    void hugeLayerCountsCostNothingToParse() {
        String huge = llama(",\"use_sliding_window\":true,\"sliding_window\":16,\"max_window_layers\":2")
                .replace("\"llama\"", "\"qwen2\"").replace("\"num_hidden_layers\":1", "\"num_hidden_layers\":2147483647");
        ModelConfig c = ModelConfig.parse(huge, "t");
        assertEquals(16, c.slidingWindow(2147483646));
        assertEquals(0, c.slidingWindow(1));
        assertTrue(c.attention().anySliding());
    }

    @Test
    void newFixturesParse() {
        ModelConfig qwen3 = ModelConfig.read(Fixtures.model("tiny-qwen3"));
        assertEquals(48, qwen3.headDim(), "head_dim independent of hidden/heads (128/4 = 32)");
        assertTrue(qwen3.qkNorm() && qwen3.tieWordEmbeddings());
        assertEquals(1e6, qwen3.ropeTheta());
        ModelConfig mistral = ModelConfig.read(Fixtures.model("tiny-mistral"));
        assertEquals(java.util.List.of(64, 64, 64, 64), mistral.attention().slidingWindows());
        assertFalse(mistral.tieWordEmbeddings());
        assertTrue(ModelConfig.read(Fixtures.model("tiny-qwen2")).qkvBias());
    }

    @Test
    void unknownActivationListsTheValidOnes() {
        ProsparseException e = assertThrows(ProsparseException.class,
                () -> ModelConfig.parse(llama("").replace("silu", "gelu_new"), "config.json"));
        assertTrue(e.getMessage().contains("silu, relu, fatrelu, shiftrelu, relu2, drelu"), e.getMessage());
        assertTrue(e.getMessage().contains("hidden_act"), e.getMessage());
        assertEquals(ProsparseException.Kind.CHECKPOINT, e.kind(), "a flaw of config.json, not of a flag");
        assertFalse(e.getMessage().contains("--act"), "no flag advice for a value read from a file: " + e.getMessage());
    }

    @Test
    void fatreluNeedsItsThreshold() {
        ProsparseException e = assertThrows(ProsparseException.class,
                () -> ModelConfig.parse(llama("").replace("silu", "fatrelu"), "config.json"));
        assertTrue(e.getMessage().contains("hidden_act_param"), e.getMessage());
        assertEquals(ProsparseException.Kind.CHECKPOINT, e.kind(), "a flaw of config.json, not of a flag");
        assertFalse(e.getMessage().contains("--threshold"), "no flag advice for a value read from a file: " + e.getMessage());
        assertEquals(0.01, ModelConfig.parse(llama(",\"hidden_act_param\":0.01").replace("silu", "fatrelu"), "c").hiddenActParam());
    }

    static void assertRefused(String json, String key) {
        ProsparseException e = assertThrows(ProsparseException.class, () -> ModelConfig.parse(json, "config.json"));
        assertTrue(e.getMessage().contains(key), "message should name " + key + ": " + e.getMessage());
    }
}
