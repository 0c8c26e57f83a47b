package dev.prosparse.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.Fixtures;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.io.HfCheckpoint;
import dev.prosparse.util.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Byte-level BPE tokenizers with and without a BOS ({@code golden/tokenizer-bytelevel.json}, ids from transformers),
 * and where the end-of-document id comes from.
 */
class FamilyTokenizerTest {

    @Test
    void byteLevelTokenizersMatchTransformers() throws IOException {
        JsonNode g = Json.MAPPER.readTree(Fixtures.golden("tokenizer-bytelevel.json").toFile());
        int checked = 0;
        for (Map.Entry<String, JsonNode> tk : g.properties()) {
            Path dir = Fixtures.shared().resolve("fixtures").resolve(tk.getValue().get("tokenizer").asText()).getParent();
            try (TextTokenizer tok = TextTokenizer.load(dir, 0)) {
                for (Map.Entry<String, JsonNode> e : tk.getValue().get("encode_with_special_tokens").properties()) {
                    long[] expected = new long[e.getValue().size()];
                    for (int i = 0; i < expected.length; i++) {
                        expected[i] = e.getValue().get(i).asLong();
                    }
                    assertArrayEquals(expected, tok.encode(e.getKey()), tk.getKey() + ": ids of '" + e.getKey() + "'");
                    checked++;
                }
            }
        }
        assertEquals(8, checked, "four strings for each of the two tokenizers");
    }

    /** The tokenizer decides the BOS; every document ends with the tokenizer's EOS. */
    @Test
    void documentsStartAsTheTokenizerSaysAndEndWithItsEos() {
        Map<String, long[]> bosEos = Map.of("tiny-llama3", new long[] {4094, 4095}, "tiny-qwen2", new long[] {-1, 4093},
                "tiny-qwen3", new long[] {-1, 4093}, "tiny-mistral", new long[] {1, 2});
        for (Map.Entry<String, long[]> e : bosEos.entrySet()) {
            HfCheckpoint ckpt = HfCheckpoint.open(Fixtures.model(e.getKey()));
            assertEquals(e.getValue()[1], ckpt.eosTokenId(), e.getKey());
            try (TextTokenizer tok = ckpt.tokenizer()) {
                long[][] docs = tok.encodeDocuments(List.of("Hello world.", "Second one"));
                for (long[] d : docs) {
                    assertEquals(e.getValue()[1], d[d.length - 1], e.getKey() + " ends with the EOS");
                    if (e.getValue()[0] >= 0) {
                        assertEquals(e.getValue()[0], d[0], e.getKey() + " starts with the BOS");
                    }
                }
                if (e.getValue()[0] < 0) {
                    assertEquals(657, docs[0][0], e.getKey() + " has no BOS: 'Hello' first (golden id 657)");
                }
            }
        }
    }

    static Path qwenWith(Path tmp, String tokenizerConfig, String eosInConfig, String generation) throws IOException {
        Path src = Fixtures.model("tiny-qwen2");
        Path d = tmp.resolve("m" + System.nanoTime());
        Files.createDirectories(d);
        Files.copy(src.resolve("tokenizer.json"), d.resolve("tokenizer.json"));
        Files.writeString(d.resolve("tokenizer_config.json"), tokenizerConfig);
        String config = Files.readString(src.resolve("config.json")).replace("\"eos_token_id\": 4093", "\"eos_token_id\": " + eosInConfig);
        Files.writeString(d.resolve("config.json"), config);
        if (generation != null) {
            Files.writeString(d.resolve("generation_config.json"), generation);
        }
        return d;
    }

    @Test
    void eosFallsBackToConfigThenGenerationConfig(@TempDir Path tmp) throws IOException {
        // the tokenizer's EOS wins over config.json's
        Path d = qwenWith(tmp, "{\"eos_token\": {\"content\": \"<|im_end|>\"}}", "4093", null);
        assertEquals(new EndOfDocument(4095, "tokenizer_config.json eos_token \"<|im_end|>\""),
                EndOfDocument.resolve(d, ModelConfig.read(d)));
        // no tokenizer EOS: config.json's list (Llama-3.1 style), the first, and the source says so
        d = qwenWith(tmp, "{}", "[4094, 4093]", null);
        EndOfDocument e = EndOfDocument.resolve(d, ModelConfig.read(d));
        assertEquals(4094, e.id());
        assertTrue(e.source().contains("config.json eos_token_id (the first of [4094,4093])"), e.source());
        // neither: generation_config.json
        d = qwenWith(tmp, "{\"eos_token\": null}", "null", "{\"eos_token_id\": [4093]}");
        assertEquals(4093, EndOfDocument.resolve(d, ModelConfig.read(d)).id());
        // nothing anywhere: one line that says where to add it
        Path none = qwenWith(tmp, "{}", "null", "{}");
        ProsparseException x = assertThrows(ProsparseException.class, () -> EndOfDocument.resolve(none, ModelConfig.read(none)));
        assertEquals(ProsparseException.Kind.CHECKPOINT, x.kind());
        assertTrue(x.getMessage().contains("no end-of-document token") && x.getMessage().contains("eos_token_id"), x.getMessage());
        // a tokenizer EOS that the vocabulary does not know
        Path odd = qwenWith(tmp, "{\"eos_token\": \"<|nope|>\"}", "4093", null);
        x = assertThrows(ProsparseException.class, () -> EndOfDocument.resolve(odd, ModelConfig.read(odd)));
        assertTrue(x.getMessage().contains("\"<|nope|>\" is not a token of tokenizer.json"), x.getMessage());
    }
}
