package dev.prosparse.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.Fixtures;
import dev.prosparse.ProsparseException;
import dev.prosparse.data.TextTokenizer;
import dev.prosparse.io.HfCheckpoint;
import dev.prosparse.util.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The three SentencePiece tokenizer files export gives the engine the same vocabulary, and the engine's tokenizer
 * ({@link LlamaCppSpm}, its algorithm) over what we write tokenizes as HF tokenizers (DJL) and the sentencepiece
 * library do. Fixtures: src/test/resources/tokenizers (made by its make_fixtures.py from tiny-llama's tokenizer.json;
 * golden.json is what the sentencepiece library reads and encodes).
 */
class TokenizerFormsTest {
    static final Path TINY = Fixtures.model("tiny-llama");
    static final Path RES = Fixtures.repo().resolve("src/test/resources/tokenizers");

    /** A config-only checkpoint folder with tiny-llama's config and the given tokenizer files. */
    static Path folder(Path dir, String name, Path tokenizerJson, Path tokenizerModel) throws IOException {
        Path d = dir.resolve(name);
        Files.createDirectories(d);
        for (String f : List.of("config.json", "tokenizer_config.json", "special_tokens_map.json", "generation_config.json")) {
            Files.copy(TINY.resolve(f), d.resolve(f));
        }
        Files.copy(tokenizerJson, d.resolve("tokenizer.json"));
        if (tokenizerModel != null) {
            Files.copy(tokenizerModel, d.resolve("tokenizer.model"));
        }
        return d;
    }

    static List<String> texts(JsonNode golden) throws IOException {
        List<String> t = new ArrayList<>();
        golden.get("texts").forEach(x -> t.add(x.asText()));
        // plus 60 lines of the validation corpus
        try (BufferedReader r = Files.newBufferedReader(Fixtures.shared().resolve("fixtures/corpus/valid.jsonl"))) {
            for (int i = 0; i < 3; i++) {
                for (String line : Json.MAPPER.readTree(r.readLine()).get("text").asText().split("\n")) {
                    if (!line.isBlank() && t.size() < 64) {
                        t.add(line);
                    }
                }
            }
        }
        return t;
    }

    @Test
    void bothJsonFormsAndTheModelFileGiveTheEnginesTokenization(@TempDir Path dir) throws IOException {
        JsonNode golden = Json.MAPPER.readTree(RES.resolve("golden.json").toFile());
        Path meta = folder(dir, "metaspace", TINY.resolve("tokenizer.json"), null);
        Path norm = folder(dir, "normalizer", RES.resolve("spm-normalizer/tokenizer.json"), null);
        Path model = folder(dir, "model", TINY.resolve("tokenizer.json"), RES.resolve("spm-model/tokenizer.model"));
        SpmVocab vm = GgufTokenizer.vocab(HfCheckpoint.open(meta)), vn = GgufTokenizer.vocab(HfCheckpoint.open(norm)),
                vp = GgufTokenizer.vocab(HfCheckpoint.open(model));
        assertTrue(vn.source().contains("normalizer"), vn.source());
        assertTrue(vp.source().contains("SentencePiece model"), vp.source());
        // the model file as the sentencepiece library reads it (pieces, scores, convert.py's types)
        for (int id = 0; id < 4096; id++) {
            assertEquals(golden.get("pieces").get(id).asText(), vp.tokens().get(id), "piece " + id);
            assertEquals((float) golden.get("scores").get(id).asDouble(), vp.scores()[id], "score " + id);
            assertEquals(golden.get("types").get(id).asInt(), vp.types()[id], "type " + id);
        }
        assertEquals(vm.tokens(), vn.tokens());
        assertEquals(vm.tokens(), vp.tokens());
        assertArrayEquals(vm.scores(), vn.scores());
        assertArrayEquals(vm.types(), vn.types());
        assertArrayEquals(vm.types(), vp.types());
        assertEquals(0, vp.unknownId());
        LlamaCppSpm fromJson = new LlamaCppSpm(vn.tokens(), vn.scores(), 1), fromModel = new LlamaCppSpm(vp.tokens(), vp.scores(), 1);
        List<String> texts = texts(golden);
        int leadingSpace = 0;
        try (TextTokenizer hfMeta = TextTokenizer.load(meta, 2); TextTokenizer hfNorm = TextTokenizer.load(norm, 2)) {
            for (int i = 0; i < texts.size(); i++) {
                String t = texts.get(i);
                long[] engine = fromJson.encode(t);
                assertArrayEquals(hfNorm.encode(t), engine, "normalizer form vs the engine: '" + t + "'");
                assertArrayEquals(engine, fromModel.encode(t), "tokenizer.model vs tokenizer.json in the engine: '" + t + "'");
                if (i < golden.get("sentencepiece_ids").size()) {
                    assertArrayEquals(longs(golden.get("sentencepiece_ids").get(i)), engine, "sentencepiece vs the engine: '" + t + "'");
                }
                if (t.startsWith(" ")) {
                    // Metaspace adds no ▁ before a leading space, SentencePiece and the engine do (docs/powerinfer.md)
                    assertNotEquals(hfMeta.encode(t).length, engine.length, t);
                    leadingSpace++;
                } else {
                    assertArrayEquals(hfMeta.encode(t), engine, "Metaspace form vs the engine: '" + t + "'");
                }
            }
        }
        assertEquals(1, leadingSpace);
        assertTrue(texts.size() >= 40, "texts checked: " + texts.size());
    }

    @Test
    void exportWritesTheModelFilesScores(@TempDir Path dir) throws IOException {
        Path model = folder(dir, "model", TINY.resolve("tokenizer.json"), RES.resolve("spm-model/tokenizer.model"));
        Files.copy(TINY.resolve("model.safetensors"), model.resolve("model.safetensors"));
        Path out = dir.resolve("t.gguf");
        GgufExporter.export(new GgufExporter.Request(model, null, out, false, 0, false, false));
        GgufReader.File f = GgufReader.read(out);
        GgufValue.Arr scores = (GgufValue.Arr) f.kv().get("tokenizer.ggml.scores");
        JsonNode golden = Json.MAPPER.readTree(RES.resolve("golden.json").toFile());
        assertEquals(new GgufValue.F32((float) golden.get("scores").get(3000).asDouble()), scores.values().get(3000));
        assertEquals(new GgufValue.U32(0), f.kv().get("tokenizer.ggml.unknown_token_id"));
    }

    @Test
    void whatTheEngineCannotTokenizeIsRefusedByName(@TempDir Path dir) throws IOException {
        ObjectNode t = (ObjectNode) Json.MAPPER.readTree(TINY.resolve("tokenizer.json").toFile());
        refusedJson(dir, "bytelevel", Fixtures.shared().resolve("fixtures/tokenizers/bytelevel-bos/tokenizer.json"), "ByteLevel");
        ObjectNode never = t.deepCopy();
        ((ObjectNode) never.get("pre_tokenizer")).put("prepend_scheme", "never");
        refused(dir, "never", never, "prepend_scheme never");
        ObjectNode nfkc = t.deepCopy();
        nfkc.putObject("normalizer").put("type", "NFKC");
        refused(dir, "nfkc", nfkc, "normalizer NFKC");
        ObjectNode split = t.deepCopy();
        ((ObjectNode) split.get("model").get("vocab")).put("a▁b", 300);
        ((ObjectNode) split.get("model").get("vocab")).remove(vocabAt(t, 300));
        refused(dir, "split", split, "'a▁b'");
        ObjectNode noFallback = t.deepCopy();
        ((ObjectNode) noFallback.get("model")).put("byte_fallback", false);
        refused(dir, "nofallback", noFallback, "without byte_fallback");

        byte[] good = Files.readAllBytes(RES.resolve("spm-model/tokenizer.model"));
        refusedModel(dir, "unigram", withTrainer(good, 3, 1), "unigram");
        refusedModel(dir, "nfkc-model", withNormalizer(good, "nmt_nfkc", false), "normalizer nmt_nfkc");
        refusedModel(dir, "ws", withNormalizer(good, "identity", true), "remove_extra_whitespaces");
        Path cut = dir.resolve("cut.model");
        Files.write(cut, java.util.Arrays.copyOf(good, good.length - 7));
        ProsparseException e = assertThrows(ProsparseException.class, () -> GgufTokenizer.vocab(HfCheckpoint.open(
                folder(dir, "cut", TINY.resolve("tokenizer.json"), cut))));
        assertTrue(e.getMessage().contains("truncated or corrupt"), e.getMessage());
    }

    private static String vocabAt(JsonNode t, int id) {
        for (var it = t.get("model").get("vocab").fields(); it.hasNext();) {
            var e = it.next();
            if (e.getValue().asInt() == id) {
                return e.getKey();
            }
        }
        throw new IllegalStateException();
    }

    private static void refused(Path dir, String name, JsonNode tokenizer, String mustSay) throws IOException {
        Path f = dir.resolve(name + ".json");
        Files.writeString(f, tokenizer.toString());
        refusedJson(dir, name, f, mustSay);
    }

    private static void refusedJson(Path dir, String name, Path tokenizerJson, String mustSay) throws IOException {
        Path d = folder(dir, name, tokenizerJson, null);
        Files.copy(TINY.resolve("model.safetensors"), d.resolve("model.safetensors"));
        Path out = dir.resolve(name + ".gguf");
        ProsparseException e = assertThrows(ProsparseException.class,
                () -> GgufExporter.export(new GgufExporter.Request(d, null, out, false, 0, false, false)));
        assertTrue(e.getMessage().contains(mustSay) && e.getMessage().contains("tokenizer.ggml.model llama"), e.getMessage());
        assertEquals(2, e.exitCode(), e.getMessage());
        assertFalse(Files.exists(out), "nothing written");
    }

    private static void refusedModel(Path dir, String name, byte[] model, String mustSay) throws IOException {
        Path m = dir.resolve(name + ".model");
        Files.write(m, model);
        Path d = folder(dir, name, TINY.resolve("tokenizer.json"), m);
        ProsparseException e = assertThrows(ProsparseException.class, () -> GgufTokenizer.vocab(HfCheckpoint.open(d)));
        assertTrue(e.getMessage().contains(mustSay), e.getMessage());
    }

    /** The model protobuf with one more trainer_spec (field 2) carrying field {@code field} = varint {@code value}. */
    static byte[] withTrainer(byte[] model, int field, int value) {
        byte[] sub = {(byte) (field << 3), (byte) value};
        return append(model, 2, sub);
    }

    /** The model protobuf with one more normalizer_spec (field 3): name, remove_extra_whitespaces. */
    static byte[] withNormalizer(byte[] model, String name, boolean removeWs) {
        byte[] n = name.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] sub = new byte[2 + n.length + 2];
        sub[0] = (1 << 3) | 2;
        sub[1] = (byte) n.length;
        System.arraycopy(n, 0, sub, 2, n.length);
        sub[2 + n.length] = 4 << 3;
        sub[3 + n.length] = (byte) (removeWs ? 1 : 0);
        return append(model, 3, sub);
    }

    /** Protobuf merges a repeated message field: later fields override earlier ones. */
    private static byte[] append(byte[] model, int field, byte[] sub) {
        byte[] out = java.util.Arrays.copyOf(model, model.length + 2 + sub.length);
        out[model.length] = (byte) ((field << 3) | 2);
        out[model.length + 1] = (byte) sub.length;
        System.arraycopy(sub, 0, out, model.length + 2, sub.length);
        return out;
    }

    private static long[] longs(JsonNode a) {
        long[] v = new long[a.size()];
        for (int i = 0; i < v.length; i++) {
            v[i] = a.get(i).asLong();
        }
        return v;
    }
}
