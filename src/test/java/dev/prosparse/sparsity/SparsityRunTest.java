package dev.prosparse.sparsity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.data.DataSource;
import dev.prosparse.config.Activation;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Choosing layer streaming and checking sweep requests (no evaluation runs here). */
class SparsityRunTest {
    /** LLaMA-2-7B's config.json (the parts the model reads). */
    static final String LLAMA2_7B = """
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 4096,
             "intermediate_size": 11008, "num_hidden_layers": 32, "num_attention_heads": 32,
             "num_key_value_heads": 32, "vocab_size": 32000, "rms_norm_eps": 1e-05, "rope_theta": 10000.0,
             "hidden_act": "silu", "tie_word_embeddings": false, "torch_dtype": "float16",
             "bos_token_id": 1, "eos_token_id": 2, "max_position_embeddings": 4096}
            """;

    /*
     * Expected values worked out by hand from the configs, not from SparsityRun:
     * LLaMA-2-7B: embed + lm_head 2 × 32000 × 4096 = 262,144,000; per layer attention 4 × 4096² = 67,108,864,
     * MLP 3 × 4096 × 11008 = 135,266,304, two norms 8,192 → 202,383,360 × 32 layers = 6,476,267,520; final norm
     * 4,096. Total 6,738,415,616 parameters = 26,953,662,464 bytes in float32. Streaming starts when that exceeds
     * 40% of RAM, i.e. below 26,953,662,464 / 0.4 = 67,384,156,160 bytes (67.4 GB) of RAM.
     * tiny-llama (hidden 128, 4 heads × 32, 2 KV heads, intermediate 352, 4 layers, vocab 4096): embed + lm_head
     * 2 × 4096 × 128 = 1,048,576; per layer q, o 128 × 128 = 16,384 each, k, v 64 × 128 = 8,192 each, MLP
     * 3 × 352 × 128 = 135,168, norms 256 → 184,576 × 4 = 738,304; final norm 128. Total 1,787,008 parameters =
     * 7,148,032 bytes; streaming starts below 17,870,080 bytes of RAM.
     */
    static final long LLAMA2_7B_FLOAT32 = 26_953_662_464L;
    static final long TINY_FLOAT32 = 7_148_032L;

    @Test
    void sevenBillionParametersStreamBelow68GBOfRam() {
        ModelConfig c = ModelConfig.parse(LLAMA2_7B, "llama-2-7b config.json");
        assertEquals(LLAMA2_7B_FLOAT32, SparsityRun.float32Bytes(c), "LLaMA-2-7B has 6,738,415,616 parameters");
        assertFalse(SparsityRun.chooseStreaming(null, c, 68_000_000_000L), "68 GB: 40% is 27.2 GB > 26.95 GB, load whole");
        assertFalse(SparsityRun.chooseStreaming(null, c, 128L << 30), "128 GiB: load whole");
        assertTrue(SparsityRun.chooseStreaming(null, c, 67_000_000_000L), "67 GB: 40% is 26.8 GB < 26.95 GB, stream");
        assertFalse(SparsityRun.chooseStreaming(null, c, 64L << 30), "64 GiB = 68.7 GB: 40% is 27.5 GB, load whole");
        assertTrue(SparsityRun.chooseStreaming(null, c, 32L << 30), "32 GiB = 34.4 GB: 40% is 13.7 GB, stream");
        assertTrue(SparsityRun.chooseStreaming(null, c, 16L << 30), "a 16 GiB laptop streams");
        assertFalse(SparsityRun.chooseStreaming(null, c, -1), "unknown RAM: never stream on a guess");
        assertFalse(SparsityRun.chooseStreaming(false, c, 16L << 30), "--no-stream-layers wins");
        assertTrue(SparsityRun.chooseStreaming(true, c, 1L << 40), "--stream-layers wins");
    }

    @Test
    void tinyModelsLoadWholeExceptOnATinyMachine() {
        ModelConfig c = ModelConfig.read(Fixtures.model("tiny-llama"));
        assertEquals(TINY_FLOAT32, SparsityRun.float32Bytes(c), "tiny-llama has 1,787,008 parameters");
        assertFalse(SparsityRun.chooseStreaming(null, c, 2L << 30), "2 GiB of RAM: load whole");
        assertFalse(SparsityRun.chooseStreaming(null, c, 17_900_000), "17.9 MB: 40% is 7.16 MB > 7.148 MB");
        assertTrue(SparsityRun.chooseStreaming(null, c, 17_800_000), "17.8 MB: 40% is 7.12 MB < 7.148 MB");
        assertFalse(SparsityRun.chooseStreaming(null, c), "on this machine (more than 18 MB of RAM): load whole");
        assertTrue(SparsityRun.chooseStreaming(true, c), "--stream-layers wins");
    }

    static SparsityRun.Request sweep(Activation act, Double threshold, List<Double> thresholds) {
        return new SparsityRun.Request(Fixtures.model("tiny-llama"), act, threshold, DataSource.of(DataSource.EMBEDDED_VALID),
                32, 2, 8, 2, List.of(), thresholds, null);
    }

    @Test
    void sweepsNeedAThresholdActivation() {
        ProsparseException e = assertThrows(ProsparseException.class,
                () -> SparsityRun.runAll(sweep(Activation.RELU, null, List.of(0.0, 0.01))));
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().contains("--act fatrelu"), e.getMessage());
        e = assertThrows(ProsparseException.class, () -> SparsityRun.runAll(sweep(null, null, List.of(0.01))));
        assertTrue(e.getMessage().contains("uses silu"), e.getMessage());
        e = assertThrows(ProsparseException.class,
                () -> SparsityRun.runAll(sweep(Activation.FATRELU, 0.01, List.of(0.01))));
        assertTrue(e.getMessage().contains("exclude each other"), e.getMessage());
        e = assertThrows(ProsparseException.class,
                () -> SparsityRun.runAll(sweep(Activation.FATRELU, null, List.of(0.01, -1.0))));
        assertTrue(e.getMessage().contains("≥ 0"), e.getMessage());
    }
}
