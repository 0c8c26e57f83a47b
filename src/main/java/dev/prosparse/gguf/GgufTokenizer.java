package dev.prosparse.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.io.HfCheckpoint;
import dev.prosparse.util.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code tokenizer.ggml.*} for a SentencePiece-style byte-fallback BPE tokenizer.json (Metaspace "▁", {@code <0xXX>}
 * byte tokens): model "llama", the tokens by id, token types, and scores that make llama.cpp's SPM merge loop
 * (merge the adjacent pair whose joined text is the best-scoring token) follow the BPE merge order: a token made by
 * merge number k scores −k; tokens no merge makes score 0 (docs/powerinfer.md).
 */
public final class GgufTokenizer {
    static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, BYTE = 6;

    private GgufTokenizer() {}

    public static Map<String, GgufValue> keys(HfCheckpoint ck) {
        Path f = ck.dir().resolve("tokenizer.json");
        JsonNode t;
        try {
            t = Json.DOCUMENT.readTree(Files.readString(f));
        } catch (IOException e) {
            throw ProsparseException.checkpoint(f + ": cannot read the tokenizer (" + e.getMessage() + ")");
        }
        JsonNode model = t.path("model");
        if (!model.path("type").asText().equals("BPE") || !model.path("byte_fallback").asBoolean(false)
                || !t.path("pre_tokenizer").path("type").asText().equals("Metaspace")) {
            throw ProsparseException.usage(f + ": only SentencePiece-style tokenizers (BPE with byte_fallback and a Metaspace"
                    + " pre-tokenizer, as LLaMA-2's) can be written as tokenizer.ggml.model llama; this one is "
                    + model.path("type").asText("?") + " / " + t.path("pre_tokenizer").path("type").asText("?"));
        }
        Map<Integer, String> byId = new HashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = model.path("vocab").fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            byId.put(e.getValue().asInt(), e.getKey());
        }
        Map<Integer, Boolean> special = new HashMap<>();
        for (JsonNode a : t.path("added_tokens")) {
            byId.put(a.path("id").asInt(), a.path("content").asText());
            special.put(a.path("id").asInt(), a.path("special").asBoolean(false));
        }
        int vocab = ck.config().vocabSize();
        Map<String, Integer> rank = new HashMap<>();
        int k = 0;
        for (JsonNode m : model.path("merges")) {
            String joined = m.isArray() ? m.get(0).asText() + m.get(1).asText() : m.asText().replaceFirst(" ", "");
            rank.putIfAbsent(joined, k++);
        }
        String unk = model.path("unk_token").asText("<unk>");
        List<GgufValue> tokens = new ArrayList<>(), scores = new ArrayList<>(), types = new ArrayList<>();
        for (int id = 0; id < vocab; id++) {
            String s = byId.get(id);
            if (s == null) {
                throw ProsparseException.checkpoint(f + ": no token with id " + id + " (vocab_size " + vocab + ")");
            }
            int type;
            if (s.equals(unk)) {
                type = UNKNOWN;
            } else if (Boolean.TRUE.equals(special.get(id))) {
                type = CONTROL;
            } else if (special.containsKey(id)) {
                type = USER_DEFINED;
            } else if (s.matches("<0x[0-9A-F]{2}>")) {
                type = BYTE;
            } else {
                type = NORMAL;
            }
            tokens.add(new GgufValue.Str(s));
            scores.add(new GgufValue.F32(rank.containsKey(s) ? -rank.get(s) : 0f));
            types.add(new GgufValue.I32(type));
        }
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("tokenizer.ggml.model", new GgufValue.Str("llama"));
        kv.put("tokenizer.ggml.tokens", new GgufValue.Arr(GgufValue.STRING, tokens));
        kv.put("tokenizer.ggml.scores", new GgufValue.Arr(GgufValue.FLOAT32, scores));
        kv.put("tokenizer.ggml.token_type", new GgufValue.Arr(GgufValue.INT32, types));
        JsonNode raw = ck.config().raw();
        kv.put("tokenizer.ggml.bos_token_id", new GgufValue.U32(raw.path("bos_token_id").asLong(1)));
        kv.put("tokenizer.ggml.eos_token_id", new GgufValue.U32(ck.eosTokenId()));
        Integer unkId = byId.entrySet().stream().filter(e -> e.getValue().equals(unk)).map(Map.Entry::getKey).findFirst().orElse(null);
        if (unkId != null) {
            kv.put("tokenizer.ggml.unknown_token_id", new GgufValue.U32(unkId));
        }
        kv.put("tokenizer.ggml.add_bos_token", new GgufValue.Bool(true));
        kv.put("tokenizer.ggml.add_eos_token", new GgufValue.Bool(false));
        return kv;
    }
}
