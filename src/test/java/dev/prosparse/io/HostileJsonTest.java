package dev.prosparse.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.util.Messages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Regression tests for what fuzzing found in the JSON readers: one file of ~500 keys with colliding hashes
 * used to corrupt Jackson's shared symbol table, after which valid files failed with IllegalStateException
 * ("Internal error on SymbolTable.rehash()"); messages quoting file content stay one bounded line.
 */
class HostileJsonTest {

    @TempDir
    Path dir;

    /** 2^bits distinct keys with equal Jackson hashes ("AbAb…", "BABA…": 'A'·33+'b' = 'B'·33+'A'). */
    static List<String> collidingKeys(int bits) {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 1 << bits; i++) {
            StringBuilder k = new StringBuilder();
            for (int b = 0; b < bits; b++) {
                k.append(((i >> b) & 1) == 0 ? "Ab" : "BA");
            }
            keys.add(k.toString());
        }
        return keys;
    }

    private Path header(String name, String json) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        return Files.write(dir.resolve(name), TestFiles.withDeclaredLength(h.length, h));
    }

    @Test
    void hashCollidingNamesDoNotPoisonLaterParses() throws IOException {
        StringBuilder flood = new StringBuilder("{");
        for (String k : collidingKeys(9)) {
            flood.append(flood.length() > 1 ? "," : "").append('"').append(k)
                    .append("\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[0,0]}");
        }
        Path bad = header("flood.safetensors", flood.append('}').toString());
        try (SafetensorsFile f = SafetensorsFile.open(bad)) {
            assertEquals(512, f.tensors().size());
        }
        for (int i = 0; i < 300; i++) {
            StringBuilder h = new StringBuilder("{");
            for (int k = 0; k < 8; k++) {
                h.append(k > 0 ? "," : "").append("\"n").append(i).append('_').append(k)
                        .append("\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}");
            }
            try (SafetensorsFile f = SafetensorsFile.open(header("ok.safetensors", h.append('}').toString()))) {
                assertEquals(8, f.tensors().size());
            }
        }
    }

    @Test
    void hashCollidingConfigKeysDoNotPoisonLaterParses() {
        StringBuilder flood = new StringBuilder("{\"model_type\":\"gpt2\"");
        for (String k : collidingKeys(9)) {
            flood.append(",\"").append(k).append("\":1");
        }
        for (int i = 0; i < 50; i++) {
            try {
                ModelConfig.parse(flood + "}", "flood.json");
            } catch (ProsparseException expected) {
                assertTrue(expected.getMessage().contains("gpt2"), expected.getMessage());
            }
            StringBuilder ok = new StringBuilder("{\"model_type\":\"llama\",\"hidden_size\":8,\"num_attention_heads\":2,"
                    + "\"intermediate_size\":16,\"num_hidden_layers\":1,\"vocab_size\":10");
            for (int k = 0; k < 20; k++) {
                ok.append(",\"extra_").append(i).append('_').append(k).append("\":1");
            }
            assertEquals(8, ModelConfig.parse(ok + "}", "ok.json").hiddenSize());
        }
    }

    @Test
    void quotedFileContentStaysOneShortLine() throws IOException {
        String name = "line1\nline2\u2028" + "x".repeat(10_000);
        Path f = header("named.safetensors", "{\"" + name.replace("\n", "\\n") + "\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}");
        ProsparseException e = TestFiles.assertFails(ProsparseException.Kind.CHECKPOINT, () -> SafetensorsFile.open(f),
                "'line1\\nline2\\u2028xxx", "...'", "'Q4'");
        assertTrue(e.getMessage().length() < 500, e.getMessage());
        assertEquals("'a\\tb\\u0000'", Messages.quote("a\tb\u0000"));
        assertEquals("x".repeat(Messages.MAX_QUOTED) + "...", Messages.printable("x".repeat(1000), Messages.MAX_QUOTED));
    }
}
