package dev.prosparse.gguf;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.util.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code tokenizer.ggml.*} from a SentencePiece {@code tokenizer.model} (+ {@code added_tokens.json}), as llama.cpp's
 * convert.py writes them: each piece with its own score; type unknown, control, unused and byte kept, every other
 * piece normal (user-defined too); added tokens after the pieces with score −1000, user-defined. What the engine's
 * tokenizer cannot reproduce is refused by name (docs/powerinfer.md, "Tokenizer").
 */
final class SpmModelTokenizer {
    static final float ADDED_SCORE = -1000f;

    private SpmModelTokenizer() {}

    static SpmVocab read(Path file, int vocab) {
        SentencePieceModel m = SentencePieceModel.read(file);
        check(file, m);
        List<String> tokens = new ArrayList<>(vocab);
        List<String> warnings = new ArrayList<>();
        float[] scores = new float[vocab];
        int[] types = new int[vocab];
        Integer unk = null;
        int userDefined = 0;
        Map<Integer, String> added = added(file.resolveSibling("added_tokens.json"), m.pieces().size());
        int total = m.pieces().size() + added.size();
        if (total != vocab) {
            throw ProsparseException.checkpoint(file + ": " + m.pieces().size() + " pieces + " + added.size()
                    + " added tokens = " + total + ", but config.json has vocab_size " + vocab
                    + "; the tokenizer does not belong to these weights");
        }
        for (int id = 0; id < m.pieces().size(); id++) {
            SentencePieceModel.Piece p = m.pieces().get(id);
            tokens.add(p.piece());
            scores[id] = p.score();
            types[id] = switch (p.type()) {
                case SentencePieceModel.UNKNOWN -> SpmVocab.UNKNOWN;
                case SentencePieceModel.CONTROL -> SpmVocab.CONTROL;
                case SentencePieceModel.UNUSED -> SpmVocab.UNUSED;
                case SentencePieceModel.BYTE -> SpmVocab.BYTE;
                default -> SpmVocab.NORMAL;
            };
            if (p.type() == SentencePieceModel.UNKNOWN && unk == null) {
                unk = id;
            }
            if (p.type() == SentencePieceModel.USER_DEFINED) {
                userDefined++;
            }
        }
        for (Map.Entry<Integer, String> e : added.entrySet()) {
            tokens.add(e.getValue());
            scores[e.getKey()] = ADDED_SCORE;
            types[e.getKey()] = SpmVocab.USER_DEFINED;
        }
        if (userDefined > 0) {
            warnings.add(file + ": " + userDefined + " user-defined pieces are written as normal tokens (as llama.cpp's"
                    + " converter does); SentencePiece keeps them whole, the engine may split them");
        }
        return new SpmVocab(List.copyOf(tokens), scores, types, unk, file + " (SentencePiece model)", List.copyOf(warnings));
    }

    static void check(Path file, SentencePieceModel m) {
        String no = null;
        if (m.modelType() != SentencePieceModel.BPE) {
            no = "model type " + switch (m.modelType()) {
                case SentencePieceModel.UNIGRAM -> "unigram (SentencePiece picks the most likely segmentation; the engine"
                        + " merges greedily by score, which is BPE's rule)";
                case SentencePieceModel.WORD -> "word";
                case SentencePieceModel.CHAR -> "char";
                default -> String.valueOf(m.modelType());
            };
        } else if (!m.byteFallback()) {
            no = "byte_fallback false (the engine spells unknown characters as <0xXX> byte tokens)";
        } else if (!m.normalizerName().isEmpty() && !m.normalizerName().equals("identity")) {
            no = "normalizer " + m.normalizerName() + " (the engine does not normalize text)";
        } else if (m.removeExtraWhitespaces()) {
            no = "remove_extra_whitespaces true (the engine keeps every space)";
        } else if (!m.addDummyPrefix()) {
            no = "add_dummy_prefix false (the engine always prepends a space)";
        }
        if (no != null) {
            throw ProsparseException.usage(file + ": a SentencePiece " + no + " cannot be written as tokenizer.ggml.model"
                    + " llama; only BPE models with byte_fallback, the identity normalizer and a dummy prefix (as LLaMA-2's)"
                    + " tokenize the same way in the engine");
        }
    }

    /** added_tokens.json {content: id}: ids must continue the pieces without gaps (convert.py's rule). */
    static Map<Integer, String> added(Path f, int base) {
        Map<Integer, String> byId = new TreeMap<>();
        if (!Files.isRegularFile(f)) {
            return byId;
        }
        JsonNode j;
        try {
            j = Json.DOCUMENT.readTree(Files.readString(f));
        } catch (IOException e) {
            throw ProsparseException.checkpoint(f + ": not valid JSON (" + e.getMessage() + ")");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = j.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getValue().asInt(-1) >= base) {
                byId.put(e.getValue().asInt(), e.getKey());
            }
        }
        int expect = base;
        for (int id : byId.keySet()) {
            if (id != expect++) {
                throw ProsparseException.checkpoint(f + ": added token ids must follow the " + base
                        + " pieces without gaps; found " + byId.keySet());
            }
        }
        return byId;
    }
}
