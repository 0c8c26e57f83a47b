package dev.prosparse.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.util.Torch;

/**
 * Grouped-query causal self-attention of one decoder layer with rotary position embeddings; q/k/v(/o) biases where
 * the family has them, Qwen3's RMSNorm of each head of q and k (over D, before the rotary embedding) and sliding
 * windows (Mistral). Query head h reads key/value head h / G. One of the family details of docs/layer-walk.md.
 *
 * <p>Shapes: B = batch, S = sequence, H = attention heads, KV = key/value heads, G = H / KV, D = head_dim,
 * E = hidden_size.
 */
final class Attention {
    private Attention() {}

    /**
     * @param x      [B, S, E], the output of input_layernorm
     * @param window the layer's sliding window (0: none); {@code mask} is its [S, S] additive mask
     * @return [B, S, E]
     */
    static NDArray forward(ModelConfig config, AttentionKernel kernel, NDArray x, LayerWeights w, Rope rope,
            NDArray mask, int window) {
        Shape s = x.getShape();
        long b = s.get(0), seq = s.get(1);
        int heads = config.numAttentionHeads(), kv = config.numKeyValueHeads(), d = config.headDim();

        NDArray q = CausalLM.linear(x, w.q(), w.qBias()).reshape(b, seq, heads, d);    // [B, S, H, D]
        NDArray k = CausalLM.linear(x, w.k(), w.kBias()).reshape(b, seq, kv, d);       // [B, S, KV, D]
        if (w.qNorm() != null) {
            q = Fp32.rmsNorm(q, w.qNorm(), config.rmsNormEps());                         // per head, over D
            k = Fp32.rmsNorm(k, w.kNorm(), config.rmsNormEps());
        }
        NDArray v = CausalLM.linear(x, w.v(), w.vBias()).reshape(b, seq, kv, d);       // [B, S, KV, D]
        NDArray out = kernel.fusedOn(x.getDevice())
                ? fused(q, k, v, rope, window > 0 && seq > window ? mask : null)
                : eager(config, q, k, v, rope, mask);                                    // [B, S, H, D]
        return CausalLM.linear(out.reshape(b, seq, (long) heads * d), w.o(), w.oBias()); // [B, S, E]
    }

    /**
     * softmax(q·kᵀ/√D + mask)·v on DJL ops, grouping the H query heads as [KV, G] so that each key/value head is
     * read by its G query heads without being copied. q [B, S, H, D], k and v [B, S, KV, D] → [B, S, H, D].
     */
    private static NDArray eager(ModelConfig config, NDArray q, NDArray k, NDArray v, Rope rope, NDArray mask) {
        Shape s = q.getShape();
        long b = s.get(0), seq = s.get(1);
        int kv = config.numKeyValueHeads(), d = config.headDim(), g = config.numAttentionHeads() / kv;
        q = rope.apply(q.reshape(b, seq, kv, g, d).transpose(0, 2, 3, 1, 4));          // [B, KV, G, S, D]
        k = rope.apply(k.transpose(0, 2, 1, 3).expandDims(2));                          // [B, KV, 1, S, D]
        v = v.transpose(0, 2, 1, 3).expandDims(2);                                       // [B, KV, 1, S, D]
        NDArray scores = q.matMul(k.transpose(0, 1, 2, 4, 3))                            // [B, KV, G, S, S]
                .mul(Torch.scalar(q.getManager(), 1.0 / Math.sqrt(d)))
                .add(mask);
        NDArray probs = Fp32.softmax(scores, 4);    // [B, KV, G, S, S]; float32 statistics for float16 scores
        return probs.matMul(v)                                                           // [B, KV, G, S, D]
                .transpose(0, 3, 1, 2, 4);                                               // [B, S, KV, G, D]
    }

    /**
     * The same attention through PyTorch's fused kernel ({@link FusedAttention}): causal, or under {@code mask}
     * when a sliding window is shorter than the sequence. q [B, S, H, D], k and v [B, S, KV, D] → [B, S, H, D].
     */
    private static NDArray fused(NDArray q, NDArray k, NDArray v, Rope rope, NDArray mask) {
        q = rope.apply(q.transpose(0, 2, 1, 3));                                         // [B, H, S, D]
        k = rope.apply(k.transpose(0, 2, 1, 3));                                         // [B, KV, S, D]
        v = v.transpose(0, 2, 1, 3);                                                     // [B, KV, S, D]
        FusedAttention sdpa = FusedAttention.get();
        NDArray out = mask == null ? sdpa.causal(q, k, v) : sdpa.masked(q, k, v, mask); // [B, H, S, D]
        return out.transpose(0, 2, 1, 3);                                                // [B, S, H, D]
    }

    /**
     * [S, S], 0 where query i may see key j, −inf elsewhere: j ≤ i, and with a sliding window W > 0 also
     * j > i − W (transformers' {@code sliding_window_overlay}: a query sees W positions, itself included).
     */
    static NDArray causalMask(NDManager scope, int seq, int window) {
        float[] m = new float[seq * seq];
        for (int i = 0; i < seq; i++) {
            for (int j = 0; j < seq; j++) {
                boolean visible = j <= i && (window == 0 || j > i - window);
                m[i * seq + j] = visible ? 0f : Float.NEGATIVE_INFINITY;
            }
        }
        return Torch.fromFloats(scope, m, new Shape(seq, seq));
    }
}
