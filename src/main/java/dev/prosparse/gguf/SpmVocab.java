package dev.prosparse.gguf;

import java.util.List;

/**
 * A SentencePiece vocabulary as {@code tokenizer.ggml.*} holds it: the tokens by id, their scores (llama.cpp's SPM
 * tokenizer repeatedly merges the adjacent pair whose joined text is the best-scoring token) and their GGUF token types.
 *
 * @param source   the file it was read from and in which form, for messages and docs
 * @param warnings what the engine may tokenize differently (written but worth knowing)
 */
public record SpmVocab(List<String> tokens, float[] scores, int[] types, Integer unknownId, String source,
        List<String> warnings) {
    /** GGUF token types (llama.cpp's {@code llama_token_type}). */
    public static final int NORMAL = 1, UNKNOWN = 2, CONTROL = 3, USER_DEFINED = 4, UNUSED = 5, BYTE = 6;
}
