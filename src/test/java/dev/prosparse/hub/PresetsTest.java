package dev.prosparse.hub;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.config.RopeParameters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every shipped preset loads, has the documented values, and matches the bundled checkpoints where there are some. */
class PresetsTest {
    @TempDir
    Path tmp;

    @Test
    void loadsEveryShippedPreset() throws IOException {
        Presets presets = Presets.load(Fixtures.repo());
        List<String> names = presets.all().stream().map(Preset::name).collect(Collectors.toList());
        assertTrue(names.containsAll(List.of("llama2-7b", "llama2-13b", "minicpm-1b", "tiny-llama", "tiny-minicpm")),
                names.toString());
        for (Preset p : presets.all()) {
            String text = Files.readString(p.file());
            assertTrue(text.startsWith("# prosparse convert --model " + p.name() + " "),
                    p.file() + " opens with the command that uses it");
            assertTrue(p.source() != null && !p.source().isBlank());
        }
    }

    @Test
    void llamaAndMiniCpmValues() {
        Presets presets = Presets.load(Fixtures.repo());
        Preset l7 = presets.find("llama2-7b").orElseThrow();
        assertEquals("meta-llama/Llama-2-7b-hf", l7.hubId());
        assertEquals(List.of(4096, 11008, 32, 32, 32, 32000), List.of(l7.hiddenSize(), l7.intermediateSize(),
                l7.numHiddenLayers(), l7.numAttentionHeads(), l7.numKeyValueHeads(), l7.vocabSize()));
        Preset l13 = presets.find("llama2-13b").orElseThrow();
        assertEquals("meta-llama/Llama-2-13b-hf", l13.hubId());
        assertEquals(List.of(5120, 13824, 40, 40, 40, 32000), List.of(l13.hiddenSize(), l13.intermediateSize(),
                l13.numHiddenLayers(), l13.numAttentionHeads(), l13.numKeyValueHeads(), l13.vocabSize()));
        Preset m = presets.find("minicpm-1b").orElseThrow();
        assertEquals("openbmb/MiniCPM-1B-sft-bf16", m.hubId());
        assertEquals("minicpm", m.modelType());
        assertEquals(List.of(1536, 3840, 52, 24, 8, 73440), List.of(m.hiddenSize(), m.intermediateSize(),
                m.numHiddenLayers(), m.numAttentionHeads(), m.numKeyValueHeads(), m.vocabSize()));
    }

    /**
     * The published config.json of one model per family (keys as on the hub, legacy rope form included, copied
     * from the hub files as quoted in public repositories): each parses, has the family's features, and
     * passes its preset's check.
     */
    static final Map<String, String> PUBLISHED = Map.of(
            "llama-3.2-1b", "{\"architectures\":[\"LlamaForCausalLM\"],\"attention_bias\":false,\"bos_token_id\":128000,"
                    + "\"eos_token_id\":128001,\"head_dim\":64,\"hidden_act\":\"silu\",\"hidden_size\":2048,\"intermediate_size\":8192,"
                    + "\"max_position_embeddings\":131072,\"mlp_bias\":false,\"model_type\":\"llama\",\"num_attention_heads\":32,"
                    + "\"num_hidden_layers\":16,\"num_key_value_heads\":8,\"pretraining_tp\":1,\"rms_norm_eps\":1e-05,"
                    + "\"rope_scaling\":{\"factor\":32.0,\"high_freq_factor\":4.0,\"low_freq_factor\":1.0,"
                    + "\"original_max_position_embeddings\":8192,\"rope_type\":\"llama3\"},\"rope_theta\":500000.0,"
                    + "\"tie_word_embeddings\":true,\"torch_dtype\":\"bfloat16\",\"vocab_size\":128256}",
            "qwen2.5-0.5b", "{\"architectures\":[\"Qwen2ForCausalLM\"],\"bos_token_id\":151643,\"eos_token_id\":151643,"
                    + "\"hidden_act\":\"silu\",\"hidden_size\":896,\"intermediate_size\":4864,\"max_position_embeddings\":32768,"
                    + "\"max_window_layers\":24,\"model_type\":\"qwen2\",\"num_attention_heads\":14,\"num_hidden_layers\":24,"
                    + "\"num_key_value_heads\":2,\"rms_norm_eps\":1e-06,\"rope_theta\":1000000.0,\"sliding_window\":32768,"
                    + "\"tie_word_embeddings\":true,\"torch_dtype\":\"bfloat16\",\"use_sliding_window\":false,\"vocab_size\":151936}",
            "qwen3-0.6b", "{\"architectures\":[\"Qwen3ForCausalLM\"],\"attention_bias\":false,\"bos_token_id\":151643,"
                    + "\"eos_token_id\":151645,\"head_dim\":128,\"hidden_act\":\"silu\",\"hidden_size\":1024,\"intermediate_size\":3072,"
                    + "\"max_position_embeddings\":40960,\"max_window_layers\":28,\"model_type\":\"qwen3\",\"num_attention_heads\":16,"
                    + "\"num_hidden_layers\":28,\"num_key_value_heads\":8,\"rms_norm_eps\":1e-06,\"rope_scaling\":null,"
                    + "\"rope_theta\":1000000,\"sliding_window\":null,\"tie_word_embeddings\":true,\"torch_dtype\":\"bfloat16\","
                    + "\"use_sliding_window\":false,\"vocab_size\":151936}",
            "mistral-7b-v0.3", "{\"architectures\":[\"MistralForCausalLM\"],\"bos_token_id\":1,\"eos_token_id\":2,"
                    + "\"hidden_act\":\"silu\",\"hidden_size\":4096,\"intermediate_size\":14336,\"max_position_embeddings\":32768,"
                    + "\"model_type\":\"mistral\",\"num_attention_heads\":32,\"num_hidden_layers\":32,\"num_key_value_heads\":8,"
                    + "\"rms_norm_eps\":1e-05,\"rope_theta\":1000000.0,\"sliding_window\":null,\"tie_word_embeddings\":false,"
                    + "\"torch_dtype\":\"bfloat16\",\"vocab_size\":32768}");

    @Test
    void familyPresetsMatchPublishedConfigs() {
        Presets presets = Presets.load(Fixtures.repo());
        for (String name : List.of("llama-3.2-1b", "llama-3.2-3b", "llama-3.1-8b", "qwen2.5-0.5b", "qwen2.5-1.5b",
                "qwen2.5-7b", "qwen3-0.6b", "qwen3-1.7b", "qwen3-8b", "mistral-7b-v0.3")) {
            Preset p = presets.find(name).orElseThrow(() -> new AssertionError("preset " + name));
            assertTrue(p.hubId() != null && p.notes() != null && p.notes().contains("config.json"), name + " says where its numbers come from");
        }
        for (Map.Entry<String, String> e : PUBLISHED.entrySet()) {
            ModelConfig c = ModelConfig.parse(e.getValue(), e.getKey());
            presets.find(e.getKey()).orElseThrow().check(c, tmp);     // throws on any difference
        }
        ModelConfig llama = ModelConfig.parse(PUBLISHED.get("llama-3.2-1b"), "t");
        assertEquals(RopeParameters.RopeType.LLAMA3, llama.rope().type());
        assertEquals(8192, llama.rope().originalMaxPositionEmbeddings());
        assertTrue(ModelConfig.parse(PUBLISHED.get("qwen2.5-0.5b"), "t").qkvBias());
        assertTrue(!ModelConfig.parse(PUBLISHED.get("qwen2.5-0.5b"), "t").attention().anySliding(), "use_sliding_window false");
        assertEquals(128, ModelConfig.parse(PUBLISHED.get("qwen3-0.6b"), "t").headDim());
        assertEquals(0, ModelConfig.parse(PUBLISHED.get("mistral-7b-v0.3"), "t").slidingWindow(0), "sliding_window null");
        // a head_dim that disagrees is named
        ProsparseException x = assertThrows(ProsparseException.class, () -> presets.find("qwen3-0.6b").orElseThrow()
                .check(ModelConfig.parse(PUBLISHED.get("qwen3-0.6b").replace("\"head_dim\":128", "\"head_dim\":64"), "t"), tmp));
        assertTrue(x.getMessage().contains("head_dim is 64, expected 128"), x.getMessage());
    }

    @Test
    void tinyPresetsMatchTheBundledCheckpoints() {
        Presets presets = Presets.load(Fixtures.repo());
        for (String name : new String[] {"tiny-llama", "tiny-minicpm"}) {
            Preset p = presets.find(name).orElseThrow();
            assertNull(p.hubId(), "bundled only");
            p.check(ModelConfig.read(Fixtures.model(name)), Fixtures.model(name)); // throws on any difference
        }
        ProsparseException e = assertThrows(ProsparseException.class, () -> presets.find("tiny-llama").orElseThrow()
                .check(ModelConfig.read(Fixtures.model("tiny-minicpm")), Fixtures.model("tiny-minicpm")));
        assertTrue(e.getMessage().contains("does not match preset tiny-llama")
                && e.getMessage().contains("model_type is minicpm, expected llama")
                && e.getMessage().contains("intermediate_size is 320, expected 352"), e.getMessage());
    }

    @Test
    void unknownKeysTyposAndBadValuesAreRefused() throws IOException {
        String good = Files.readString(Fixtures.repo().resolve("configs/models/tiny-llama.yaml"));
        assertRefused("tiny-llama", good.replace("hidden_size:", "hiden_size:"), "unknown key 'hiden_size'");
        assertRefused("other-name", good, "must equal the file name");
        assertRefused("tiny-llama", good.replace("vocab_size: 4096", "vocab_size: -1"), "vocab_size must be a positive integer");
        assertRefused("tiny-llama", good.replace("model_type: llama", "model_type: gpt2"), "must be one of llama, mistral, qwen2, qwen3, minicpm");
        assertRefused("tiny-llama", good.replace("hub_id: null", "hub_id: not-an-id"), "not of the form org/name");
        assertRefused("tiny-llama", good.replaceAll("(?m)^num_hidden_layers:.*$", ""), "num_hidden_layers is missing");
    }

    @Test
    void twoFilesWithOneNameAreRefused() throws IOException {
        Path dir = tmp.resolve("models");
        Files.createDirectories(dir);
        String good = Files.readString(Fixtures.repo().resolve("configs/models/tiny-llama.yaml"));
        Files.writeString(dir.resolve("tiny-llama.yaml"), good);
        Files.writeString(dir.resolve("tiny-llama.yml"), good);
        ProsparseException e = assertThrows(ProsparseException.class, () -> Presets.loadDir(dir));
        assertTrue(e.getMessage().contains("defined twice"), e.getMessage());
    }

    private void assertRefused(String fileStem, String yaml, String expected) throws IOException {
        Path dir = tmp.resolve("p" + System.nanoTime());
        Files.createDirectories(dir);
        Path f = dir.resolve(fileStem + ".yaml");
        Files.writeString(f, yaml);
        ProsparseException e = assertThrows(ProsparseException.class, () -> Preset.read(f));
        assertTrue(e.getMessage().contains(expected) && e.getMessage().contains(f.toString()), e.getMessage());
    }
}
