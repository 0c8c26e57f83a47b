package dev.prosparse.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.io.HfCheckpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code tokenizer.ggml.*} (model "llama", SentencePiece-style) from the checkpoint's {@code tokenizer.model} when it
 * has one (as llama.cpp's converter prefers), else from its tokenizer.json in either SentencePiece form. Anything the
 * engine cannot tokenize the same way is refused by name (docs/powerinfer.md, "Tokenizer").
 */
public final class GgufTokenizer {
    public static final String MODEL_FILE = "tokenizer.model";

    private GgufTokenizer() {}

    /** The vocabulary the export will write, read and checked (before anything is written). */
    public static SpmVocab vocab(HfCheckpoint ck) {
        Path model = ck.dir().resolve(MODEL_FILE);
        int vocab = ck.config().vocabSize();
        return Files.isRegularFile(model) ? SpmModelTokenizer.read(model, vocab)
                : SpmJsonTokenizer.read(ck.dir().resolve("tokenizer.json"), vocab);
    }

    public static Map<String, GgufValue> keys(HfCheckpoint ck) {
        return keys(ck, vocab(ck));
    }

    public static Map<String, GgufValue> keys(HfCheckpoint ck, SpmVocab v) {
        List<GgufValue> tokens = new ArrayList<>(), scores = new ArrayList<>(), types = new ArrayList<>();
        for (int id = 0; id < v.tokens().size(); id++) {
            tokens.add(new GgufValue.Str(v.tokens().get(id)));
            scores.add(new GgufValue.F32(v.scores()[id]));
            types.add(new GgufValue.I32(v.types()[id]));
        }
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("tokenizer.ggml.model", new GgufValue.Str("llama"));
        kv.put("tokenizer.ggml.tokens", new GgufValue.Arr(GgufValue.STRING, tokens));
        kv.put("tokenizer.ggml.scores", new GgufValue.Arr(GgufValue.FLOAT32, scores));
        kv.put("tokenizer.ggml.token_type", new GgufValue.Arr(GgufValue.INT32, types));
        JsonNode raw = ck.config().raw();
        kv.put("tokenizer.ggml.bos_token_id", new GgufValue.U32(raw.path("bos_token_id").asLong(1)));
        kv.put("tokenizer.ggml.eos_token_id", new GgufValue.U32(ck.eosTokenId()));
        if (v.unknownId() != null) {
            kv.put("tokenizer.ggml.unknown_token_id", new GgufValue.U32(v.unknownId()));
        }
        kv.put("tokenizer.ggml.add_bos_token", new GgufValue.Bool(true));
        kv.put("tokenizer.ggml.add_eos_token", new GgufValue.Bool(false));
        return kv;
    }
}
