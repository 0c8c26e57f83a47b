package dev.prosparse.plan;

import dev.prosparse.config.ModelConfig;

/**
 * The dimensions of a decoder-only model that decide its memory: from a {@code config.json} ({@link #of}) or from a
 * preset's dimensions when no weights are on this machine ({@link #ofDimensions}). Names as in config.json.
 *
 * @param source  where the dimensions came from, for the plan's header (a folder or "preset llama2-7b")
 * @param tied    tie_word_embeddings: lm_head is embed_tokens (one V×E tensor, not two)
 * @param qkvBias q/k/v projections carry biases; @param oBias o_proj carries one; @param qkNorm per-head q/k RMSNorm
 */
public record ModelShape(String source, long vocabSize, long hiddenSize, long intermediateSize, int numHiddenLayers,
        int numAttentionHeads, int numKeyValueHeads, int headDim, boolean tied, boolean qkvBias, boolean oBias,
        boolean qkNorm) {

    /** The shape of a checkpoint's config.json. */
    public static ModelShape of(ModelConfig c, String source) {
        return new ModelShape(source, c.vocabSize(), c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(),
                c.numAttentionHeads(), c.numKeyValueHeads(), c.headDim(), c.tieWordEmbeddings(), c.qkvBias(), c.oBias(),
                c.qkNorm());
    }

    /**
     * A LLaMA-layout shape from bare dimensions (a preset without weights on disk): untied embeddings, no biases, no
     * q/k norms; head_dim = hidden / heads when {@code headDim} is null.
     */
    public static ModelShape ofDimensions(String source, int vocab, int hidden, int intermediate, int layers, int heads,
            int kvHeads, Integer headDim) {
        return new ModelShape(source, vocab, hidden, intermediate, layers, heads, kvHeads,
                headDim != null ? headDim : hidden / heads, false, false, false, false);
    }

    /** Parameters of one decoder layer (norms, attention, gated FFN, optional biases and q/k norms). */
    public long layerParameters() {
        long e = hiddenSize, i = intermediateSize, q = (long) numAttentionHeads * headDim, kv = (long) numKeyValueHeads * headDim;
        long n = 2 * e + q * e + 2 * kv * e + e * q + 3 * e * i;
        if (qkvBias) {
            n += q + 2 * kv;
        }
        if (oBias) {
            n += e;
        }
        if (qkNorm) {
            n += 2L * headDim;
        }
        return n;
    }

    /** All trainable parameters: embed_tokens, the layers, the final norm, and lm_head unless tied. */
    public long parameters() {
        return vocabSize * hiddenSize * (tied ? 1 : 2) + hiddenSize + numHiddenLayers * layerParameters();
    }

    /** Elements of the largest single tensor (the per-tensor temporaries of the optimizer update are this size). */
    public long largestTensor() {
        return Math.max(vocabSize * hiddenSize, intermediateSize * hiddenSize);
    }

    /** "32 layers, hidden 4096, intermediate 11008, heads 32/32, vocab 32000, 6.74 B parameters". */
    public String describe() {
        return String.format(java.util.Locale.ROOT, "%d layers, hidden %d, intermediate %d, heads %d/%d, vocab %d%s, %.3g B parameters",
                numHiddenLayers, hiddenSize, intermediateSize, numAttentionHeads, numKeyValueHeads, vocabSize,
                tied ? " (tied)" : "", parameters() / 1e9);
    }
}
