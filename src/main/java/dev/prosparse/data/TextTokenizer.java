package dev.prosparse.data;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.util.Hashing;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A checkpoint's {@code tokenizer.json} through DJL's HuggingFace tokenizer, with truncation and padding
 * off (DJL truncates to 512 tokens silently otherwise) and special tokens added, so that each document
 * starts with a BOS exactly where the tokenizer's post-processor adds one (Llama, Mistral: yes; Qwen: no).
 * After each document the end-of-document id ({@link EndOfDocument}) is appended.
 */
public final class TextTokenizer implements AutoCloseable {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TextTokenizer.class);
    public static final String FILE = "tokenizer.json";

    private final HuggingFaceTokenizer tokenizer;
    private final int eosId;
    private final String sha256;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, int eosId, String sha256) {
        this.tokenizer = tokenizer;
        this.eosId = eosId;
        this.sha256 = sha256;
    }

    /** Loads {@code dir/tokenizer.json}, ending documents with the id {@link EndOfDocument} finds (logged with its source). */
    public static TextTokenizer load(Path dir, ModelConfig config) {
        EndOfDocument eos = EndOfDocument.resolve(dir, config);
        LOG.info("End-of-document id {} from {}", eos.id(), eos.source());
        return load(dir, eos.id());
    }

    /**
     * Loads {@code dir/tokenizer.json}.
     *
     * @param eosId the id appended after every document ({@code eos_token_id} of config.json)
     */
    public static TextTokenizer load(Path dir, int eosId) {
        Path file = dir.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            throw ProsparseException.checkpoint(file + " not found: the checkpoint folder needs the HuggingFace"
                    + " tokenizer.json (copy it from the model's hub folder)");
        }
        try {
            HuggingFaceTokenizer t = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(file)
                    .optAddSpecialTokens(true)
                    .optTruncation(false)
                    .optPadding(false)
                    .optMaxLength(Integer.MAX_VALUE / 2)
                    .build();
            // the stream depends on the tokenizer and the end-of-document id: both are in the cache key
            return new TextTokenizer(t, eosId, Hashing.sha256(Hashing.sha256(file) + "/eos=" + eosId));
        } catch (IOException | RuntimeException e) {
            throw ProsparseException.checkpoint(file + " could not be loaded as a HuggingFace tokenizer: " + e.getMessage());
        }
    }

    /** Ids of one text, BOS first where the tokenizer adds one, no EOS. */
    public long[] encode(String text) {
        return tokenizer.encode(text, true, false).getIds();
    }

    /** Ids of many documents, each as the tokenizer encodes it (BOS or not) with the end-of-document id appended. */
    public long[][] encodeDocuments(List<String> docs) {
        Encoding[] enc = tokenizer.batchEncode(docs, true, false);
        long[][] out = new long[enc.length][];
        for (int i = 0; i < enc.length; i++) {
            long[] ids = enc[i].getIds();
            long[] withEos = java.util.Arrays.copyOf(ids, ids.length + 1);
            withEos[ids.length] = eosId;
            out[i] = withEos;
        }
        return out;
    }

    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    public int eosId() {
        return eosId;
    }

    /** sha256 of (sha256 of tokenizer.json, end-of-document id): part of the token-cache key. */
    public String sha256() {
        return sha256;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
