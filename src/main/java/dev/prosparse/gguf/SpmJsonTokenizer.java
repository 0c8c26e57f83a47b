package dev.prosparse.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.util.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A SentencePiece tokenizer written as an HF tokenizer.json, in either of its two forms (docs/powerinfer.md,
 * "Tokenizer"): BPE with byte_fallback and a {@code Metaspace "▁"} pre-tokenizer, or the older form LLaMA-2-7b-hf
 * ships (normalizer {@code Prepend "▁"} + {@code Replace " " → "▁"}, {@code "pre_tokenizer": null}). Any other
 * normalizer, pre-tokenizer or model is refused by name: the engine only escapes spaces and prepends one. Scores
 * make llama.cpp's merge loop follow the BPE merge order: a token made by merge number k scores −k, others 0.
 */
final class SpmJsonTokenizer {
    static final String SPACE = "▁";

    private SpmJsonTokenizer() {}

    static SpmVocab read(Path f, int vocab) {
        JsonNode t;
        try {
            t = Json.DOCUMENT.readTree(Files.readString(f));
        } catch (IOException e) {
            throw ProsparseException.checkpoint(f + ": cannot read the tokenizer (" + e.getMessage() + ")");
        }
        JsonNode model = t.path("model");
        if (!model.path("type").asText().equals("BPE") || !model.path("byte_fallback").asBoolean(false)) {
            JsonNode pre = t.path("pre_tokenizer");
            throw refuse(f, "model " + model.path("type").asText("?") + (model.path("byte_fallback").asBoolean(false) ? ""
                    : " without byte_fallback") + " (pre_tokenizer " + (isNull(pre) ? "null" : pre.path("type").asText("?")) + ")");
        }
        if (model.path("ignore_merges").asBoolean(false)) {
            throw refuse(f, "BPE with ignore_merges true (whole words looked up before merging: a byte-level BPE habit)");
        }
        List<String> warnings = new ArrayList<>();
        String form = form(f, t, model, warnings);
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
        Map<String, Integer> rank = new HashMap<>();
        int k = 0;
        for (JsonNode m : model.path("merges")) {
            String joined = m.isArray() ? m.get(0).asText() + m.get(1).asText() : m.asText().replaceFirst(" ", "");
            rank.putIfAbsent(joined, k++);
        }
        String unk = model.path("unk_token").asText("<unk>");
        List<String> tokens = new ArrayList<>(vocab);
        float[] scores = new float[vocab];
        int[] types = new int[vocab];
        Integer unkId = null;
        for (int id = 0; id < vocab; id++) {
            String s = byId.get(id);
            if (s == null) {
                throw ProsparseException.checkpoint(f + ": no token with id " + id + " (vocab_size " + vocab + ")");
            }
            if (s.equals(unk)) {
                types[id] = SpmVocab.UNKNOWN;
                unkId = id;
            } else if (Boolean.TRUE.equals(special.get(id))) {
                types[id] = SpmVocab.CONTROL;
            } else if (special.containsKey(id)) {
                types[id] = SpmVocab.USER_DEFINED;
            } else if (s.matches("<0x[0-9A-F]{2}>")) {
                types[id] = SpmVocab.BYTE;
            } else {
                types[id] = SpmVocab.NORMAL;
            }
            tokens.add(s);
            scores[id] = rank.containsKey(s) ? -rank.get(s) : 0f;
        }
        return new SpmVocab(List.copyOf(tokens), scores, types, unkId, f + " (" + form + ")", List.copyOf(warnings));
    }

    /** Which SentencePiece form this is ("Metaspace" or "normalizer"), or a refusal naming what the engine lacks. */
    static String form(Path f, JsonNode t, JsonNode model, List<String> warnings) {
        JsonNode norm = t.path("normalizer"), pre = t.path("pre_tokenizer");
        if (isNull(pre) && isSpmNormalizer(norm)) {
            return "normalizer Prepend + Replace";
        }
        if (pre.path("type").asText().equals("Metaspace")) {
            if (!isNull(norm)) {
                throw refuse(f, "normalizer " + norm.path("type").asText("?") + " before a Metaspace pre-tokenizer");
            }
            if (!pre.path("replacement").asText(SPACE).equals(SPACE)) {
                throw refuse(f, "Metaspace replacement '" + pre.path("replacement").asText() + "' (the engine uses ▁)");
            }
            String scheme = pre.path("prepend_scheme").asText(pre.path("add_prefix_space").asBoolean(true) ? "always" : "never");
            if (scheme.equals("never")) {
                throw refuse(f, "Metaspace without a prepended ▁ (prepend_scheme never; the engine always prepends one)");
            }
            if (pre.path("split").asBoolean(true)) {
                // split at every ▁: the same as no split unless a token holds ▁ after its first character
                for (Iterator<String> it = model.path("vocab").fieldNames(); it.hasNext();) {
                    String s = it.next();
                    if (s.indexOf(SPACE, 1) > 0) {
                        throw refuse(f, "Metaspace split true with token '" + s + "', which spans a ▁ the pre-tokenizer"
                                + " splits at (the engine does not split)");
                    }
                }
            }
            // Metaspace prepends ▁ only when the text does not already start with one; the engine (like SentencePiece)
            // always does, so text that starts with a space gets one ▁ more there (docs/powerinfer.md, "Tokenizer")
            return "Metaspace";
        }
        throw refuse(f, "pre_tokenizer " + (isNull(pre) ? "null" : pre.path("type").asText("?")) + " with normalizer "
                + (isNull(norm) ? "null" : norm.path("type").asText("?")));
    }

    /** {@code Sequence[Prepend "▁", Replace " " → "▁"]}, as tokenizers' LlamaConverter wrote it before Metaspace. */
    static boolean isSpmNormalizer(JsonNode n) {
        if (!n.path("type").asText().equals("Sequence") || n.path("normalizers").size() != 2) {
            return false;
        }
        JsonNode a = n.path("normalizers").get(0), b = n.path("normalizers").get(1);
        return a.path("type").asText().equals("Prepend") && a.path("prepend").asText().equals(SPACE)
                && b.path("type").asText().equals("Replace") && b.path("pattern").path("String").asText().equals(" ")
                && b.path("content").asText().equals(SPACE);
    }

    private static boolean isNull(JsonNode n) {
        return n.isMissingNode() || n.isNull();
    }

    private static ProsparseException refuse(Path f, String what) {
        return ProsparseException.usage(f + ": " + what + " cannot be written as tokenizer.ggml.model llama: the engine"
                + " tokenizes SentencePiece-style only (BPE with byte_fallback, spaces as ▁, one ▁ prepended; the Metaspace"
                + " form or LLaMA-2's Prepend + Replace normalizer form)");
    }
}
