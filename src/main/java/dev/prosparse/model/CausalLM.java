package dev.prosparse.model;

import dev.prosparse.config.Activation;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.config.RopeParameters;
import dev.prosparse.util.Torch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The decoder-only causal LM of the LLaMA family (Llama 2/3, Mistral, Qwen2/2.5, Qwen3, MiniCPM), float32, on
 * plain NDArray ops so that autograd runs through it. Parameters come typed per layer ({@link LayerWeights}).
 * The FFN activation is a parameter of the model ({@link #activation()}), not a property of the code. The
 * families differ only in: q/k/v (and o) biases, Qwen3's per-head q/k RMSNorm, sliding-window masks, the
 * rotary variant (default or llama3) and MiniCPM's three scale factors; see docs/model-families.md.
 *
 * <p>Shapes: B = batch, S = sequence, H = attention heads, KV = key/value heads, G = H / KV, D = head_dim,
 * E = hidden_size, I = intermediate_size, V = vocab_size.
 *
 * <p>Every array an op creates belongs to the manager of its first operand; the forward pass always puts an
 * activation first, so all intermediate arrays land in the manager of {@code inputIds} (the caller's
 * per-batch scope) and never in the long-lived parameter manager.
 */
public final class CausalLM {
    private final ModelConfig config;
    private final Weights weights;
    private final Activation activation;
    private final double activationParam;
    /** Rotary tables and masks per (sequence length, dtype), on the weights' device (docs/gpu.md). */
    private final PositionCache positionCache;
    /** Eager or fused attention ({@link AttentionKernel}; auto: fused on a GPU). */
    private final AttentionKernel attentionKernel;

    /** @param activation the FFN activation to compute with (may differ from the config's: {@code --act}) */
    public CausalLM(ModelConfig config, Weights weights, Activation activation, double activationParam) {
        this(config, weights, activation, activationParam, new PositionCache(weights == null ? null : weights.manager()),
                AttentionKernel.AUTO);
    }

    private CausalLM(ModelConfig config, Weights weights, Activation activation, double activationParam,
            PositionCache positionCache, AttentionKernel attentionKernel) {
        this.config = config;
        this.weights = weights;
        this.activation = activation;
        this.activationParam = activationParam;
        this.positionCache = positionCache;
        this.attentionKernel = attentionKernel;
    }

    /**
     * This model computing with other arrays for the same parameters (the float16 compute copies of fp16-mixed
     * training), sharing the position cache.
     */
    public CausalLM withWeights(Weights view) {
        return new CausalLM(config, view, activation, activationParam, positionCache, attentionKernel);
    }

    /** This model computing attention with {@code kernel} (the recipe key {@code attention}). */
    public CausalLM withAttention(AttentionKernel kernel) {
        return new CausalLM(config, weights, activation, activationParam, positionCache, kernel);
    }

    public AttentionKernel attentionKernel() {
        return attentionKernel;
    }

    public ModelConfig config() {
        return config;
    }

    public Weights weights() {
        return weights;
    }

    public Activation activation() {
        return activation;
    }

    public double activationParam() {
        return activationParam;
    }

    /** Logits and, when asked for, each layer's x1 (the input of down_proj). */
    public record Output(NDArray logits, List<NDArray> x1) {}

    /**
     * @param inputIds [B, S] int64, in the caller's scope manager
     * @param keepX1   whether to return each layer's x1 (for sparsity statistics and the L1 term)
     */
    public Output forward(NDArray inputIds, boolean keepX1) {
        Positions pos = positions(inputIds);
        List<NDArray> x1s = keepX1 ? new ArrayList<>(config.numHiddenLayers()) : Collections.emptyList();
        NDArray h = embed(inputIds);                                                     // [B, S, E]
        for (int layer = 0; layer < config.numHiddenLayers(); layer++) {
            h = decoderLayer(h, layer, pos, keepX1 ? x1s : null);                        // [B, S, E]
        }
        return new Output(head(h), x1s);                                                 // [B, S, V]
    }

    /**
     * Rotary tables and causal masks for a batch's sequence length, in the dtype of the weights: built once per
     * (length, dtype) on the weights' device and cached ({@link PositionCache}), not rebuilt every forward pass.
     */
    public Positions positions(NDArray inputIds) {
        int seq = (int) inputIds.getShape().get(1);
        DataType dtype = weights == null ? DataType.FLOAT32 : weights.embedTokens().getDataType();
        return positionCache.get(seq, dtype, inputIds.getManager(), m -> {
            Map<Integer, NDArray> windowed = new HashMap<>();
            if (config.attention().anySliding()) {                       // one window size per config
                int w = config.attention().window();
                windowed.put(w, causalMask(m, seq, w));
            }
            return new Positions(Rope.of(m, config.headDim(), config.rope(), seq), causalMask(m, seq, 0), windowed).to(dtype);
        });
    }

    /**
     * Rotary tables and the causal masks ([S, S], 0 / −inf) shared by all layers of one forward pass.
     *
     * @param mask     full causal attention
     * @param windowed sliding-window masks by window size (empty unless a layer slides)
     */
    public record Positions(Rope rope, NDArray mask, Map<Integer, NDArray> windowed) {
        /** The mask of a layer with this sliding window (0: full causal). */
        public NDArray mask(int window) {
            return window == 0 ? mask : windowed.get(window);
        }

        /** The same tables in {@code dtype} (built in float32, then cast, as transformers does). */
        Positions to(DataType dtype) {
            if (dtype == DataType.FLOAT32) {
                return this;
            }
            Map<Integer, NDArray> w = new HashMap<>();
            windowed.forEach((k, v) -> w.put(k, v.toType(dtype, false)));
            return new Positions(new Rope(rope.cos.toType(dtype, false), rope.sin.toType(dtype, false)),
                    mask.toType(dtype, false), w);
        }
    }

    /** Token embeddings (× scale_emb for MiniCPM). ids [B, S] → [B, S, E]. */
    public NDArray embed(NDArray inputIds) {
        NDArray h = inputIds.getNDArrayInternal()
                .embedding(inputIds, weights.embedTokens(), SparseFormat.DENSE)
                .singletonOrThrow();                                                     // [B, S, E]
        return config.isMiniCpm() ? h.mul(Torch.scalar(h.getManager(), config.embeddingScale())) : h;
    }

    /**
     * One decoder layer: pre-norm attention and gated FFN, each added to the residual stream (scaled by
     * scale_depth/√layers for MiniCPM). Reads only layer {@code layer}'s tensors from {@link #weights()}.
     *
     * @param h     [B, S, E]
     * @param x1Out if not null, receives this layer's x1 [B, S, I]
     * @return [B, S, E]
     */
    public NDArray decoderLayer(NDArray h, int layer, Positions pos, List<NDArray> x1Out) {
        return ffnBlock(attentionBlock(h, layer, pos), layer, x1Out);
    }

    /**
     * The first half of a decoder layer: h + attention(input_layernorm(h)) (the attention branch scaled by
     * scale_depth/√layers for MiniCPM). The result is the FFN's input residual stream ("ffn_inp" in llama.cpp and
     * PowerInfer), the input of activation predictors.
     *
     * @param h [B, S, E]
     * @return [B, S, E]
     */
    public NDArray attentionBlock(NDArray h, int layer, Positions pos) {
        LayerWeights w = weights.layer(layer);
        int window = config.slidingWindow(layer);
        NDArray attn = attention(rmsNorm(h, w.inputNorm()), w, pos.rope(), pos.mask(window), window);           // [B, S, E]
        return h.add(config.isMiniCpm() ? attn.mul(Torch.scalar(h.getManager(), config.residualScale())) : attn);
    }

    /**
     * The second half of a decoder layer: h + down_proj(σ(gate_proj(x)) ⊙ up_proj(x)), x = post_attention_layernorm(h)
     * (the FFN branch scaled by scale_depth/√layers for MiniCPM).
     *
     * @param h     [B, S, E], the output of {@link #attentionBlock}
     * @param x1Out if not null, receives this layer's x1 [B, S, I]
     * @return [B, S, E]
     */
    public NDArray ffnBlock(NDArray h, int layer, List<NDArray> x1Out) {
        LayerWeights w = weights.layer(layer);
        NDArray x = rmsNorm(h, w.postNorm());                                                                   // [B, S, E]
        NDArray gate = linear(x, w.gate());                                                                     // [B, S, I]
        NDArray up = linear(x, w.up());                                                                         // [B, S, I]
        NDArray x1 = activation.apply(gate, up, activationParam);                                               // [B, S, I]
        if (x1Out != null) {
            x1Out.add(x1);
        }
        NDArray ffn = linear(x1, w.down());                                                                     // [B, S, E]
        return h.add(config.isMiniCpm() ? ffn.mul(Torch.scalar(h.getManager(), config.residualScale())) : ffn);
    }

    /** Final RMSNorm (÷ hidden/dim_model_base for MiniCPM) and lm_head. [B, S, E] → [B, S, V]. */
    public NDArray head(NDArray h) {
        h = rmsNorm(h, weights.finalNorm());                                                       // [B, S, E]
        if (config.isMiniCpm()) {
            h = h.div(Torch.scalar(h.getManager(), config.logitDivisor()));
        }
        return linear(h, weights.lmHead());                                                                     // [B, S, V]
    }

    /**
     * Grouped-query causal self-attention with rotary position embeddings; q/k/v(/o) biases where the family has
     * them, and Qwen3's RMSNorm of each head of q and k (over D, before the rotary embedding). Query head h reads
     * key/value head h / G.
     *
     * @param window the layer's sliding window (0: none); {@code mask} is its [S, S] additive mask
     */
    private NDArray attention(NDArray x, LayerWeights w, Rope rope, NDArray mask, int window) {
        Shape s = x.getShape();
        long b = s.get(0), seq = s.get(1);
        int heads = config.numAttentionHeads(), kv = config.numKeyValueHeads(), d = config.headDim();

        NDArray q = linear(x, w.q(), w.qBias()).reshape(b, seq, heads, d);             // [B, S, H, D]
        NDArray k = linear(x, w.k(), w.kBias()).reshape(b, seq, kv, d);                 // [B, S, KV, D]
        if (w.qNorm() != null) {
            q = rmsNorm(q, w.qNorm());                                                   // per head, over D
            k = rmsNorm(k, w.kNorm());
        }
        NDArray v = linear(x, w.v(), w.vBias()).reshape(b, seq, kv, d);                 // [B, S, KV, D]
        NDArray out = attentionKernel.fusedOn(x.getDevice())
                ? fusedAttention(q, k, v, rope, window > 0 && seq > window ? mask : null)
                : eagerAttention(q, k, v, rope, mask);                                   // [B, S, H, D]
        return linear(out.reshape(b, seq, (long) heads * d), w.o(), w.oBias());         // [B, S, E]
    }

    /**
     * softmax(q·kᵀ/√D + mask)·v on DJL ops, grouping the H query heads as [KV, G] so that each key/value head is
     * read by its G query heads without being copied. q [B, S, H, D], k and v [B, S, KV, D] → [B, S, H, D].
     */
    private NDArray eagerAttention(NDArray q, NDArray k, NDArray v, Rope rope, NDArray mask) {
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
    private static NDArray fusedAttention(NDArray q, NDArray k, NDArray v, Rope rope, NDArray mask) {
        q = rope.apply(q.transpose(0, 2, 1, 3));                                         // [B, H, S, D]
        k = rope.apply(k.transpose(0, 2, 1, 3));                                         // [B, KV, S, D]
        v = v.transpose(0, 2, 1, 3);                                                     // [B, KV, S, D]
        FusedAttention sdpa = FusedAttention.get();
        NDArray out = mask == null ? sdpa.causal(q, k, v) : sdpa.masked(q, k, v, mask); // [B, H, S, D]
        return out.transpose(0, 2, 1, 3);                                                // [B, S, H, D]
    }

    /** x / sqrt(mean(x², −1) + eps) · w over the last axis, in float32. x: [..., N], w: [N]. */
    private NDArray rmsNorm(NDArray x, NDArray w) {
        return Fp32.rmsNorm(x, w, config.rmsNormEps());                                 // [..., N]
    }

    /** x · wᵀ (torch.nn.functional.linear, no bias). */
    static NDArray linear(NDArray x, NDArray w) {
        return linear(x, w, null);
    }

    /** x · wᵀ + b (torch.nn.functional.linear); b may be null. */
    static NDArray linear(NDArray x, NDArray w, NDArray b) {
        return x.getNDArrayInternal().linear(x, w, b).singletonOrThrow();
    }

    /**
     * [S, S], 0 where query i may see key j, −inf elsewhere: j ≤ i, and with a sliding window W > 0 also
     * j > i − W (transformers' {@code sliding_window_overlay}: a query sees W positions, itself included).
     */
    private static NDArray causalMask(NDManager scope, int seq, int window) {
        float[] m = new float[seq * seq];
        for (int i = 0; i < seq; i++) {
            for (int j = 0; j < seq; j++) {
                boolean visible = j <= i && (window == 0 || j > i - window);
                m[i * seq + j] = visible ? 0f : Float.NEGATIVE_INFINITY;
            }
        }
        return Torch.fromFloats(scope, m, new Shape(seq, seq));
    }

    /**
     * Mean next-token cross-entropy: logits[:, t] predicts ids[:, t+1].
     *
     * @param logits  [B, S, V]
     * @param targets [B, S] int64 (already shifted by the caller: the token after each position)
     * @return scalar
     */
    public static NDArray crossEntropy(NDArray logits, NDArray targets) {
        NDArray logp = logits.logSoftmax(2);                                                // [B, S, V]
        NDArray picked = logp.gather(targets.expandDims(2), 2);                             // [B, S, 1]
        return picked.mean().neg();
    }

    /**
     * Rotary embeddings as transformers computes them (float32 inv_freq and angles; rotate_half layout), with
     * the llama3 frequency scaling where the config asks for it (see {@link #invFreq}).
     */
    public static final class Rope {
        final NDArray cos; // [S, D]
        final NDArray sin; // [S, D]

        private Rope(NDArray cos, NDArray sin) {
            this.cos = cos;
            this.sin = sin;
        }

        static Rope of(NDManager scope, int headDim, RopeParameters rope, int seq) {
            int half = headDim / 2;
            float[] invFreq = invFreq(headDim, rope);
            float[] cos = new float[seq * headDim];
            float[] sin = new float[seq * headDim];
            for (int pos = 0; pos < seq; pos++) {
                for (int i = 0; i < half; i++) {
                    float angle = pos * invFreq[i];
                    float c = (float) Math.cos(angle), s = (float) Math.sin(angle);
                    cos[pos * headDim + i] = c;
                    cos[pos * headDim + i + half] = c;
                    sin[pos * headDim + i] = s;
                    sin[pos * headDim + i + half] = s;
                }
            }
            Shape shape = new Shape(seq, headDim);
            return new Rope(Torch.fromFloats(scope, cos, shape), Torch.fromFloats(scope, sin, shape));
        }

        /**
         * inv_freq [D/2] in float32 as transformers' {@code _compute_default_rope_parameters}: 1 / θ^(2i/D); for
         * llama3 ({@code _compute_llama3_parameters}) each frequency's wavelength λ = 2π / f decides: λ below
         * L / high_freq_factor keeps f, above L / low_freq_factor takes f / factor, and in between
         * (1 − s)·f / factor + s·f with s = (L / λ − low) / (high − low), L = original_max_position_embeddings.
         * Every step rounds to float32 like the torch ops it mirrors.
         */
        static float[] invFreq(int headDim, RopeParameters rope) {
            int half = headDim / 2;
            float[] inv = new float[half];
            for (int i = 0; i < half; i++) {
                float exponent = (float) (2 * i) / headDim;
                inv[i] = (float) (1.0 / (float) Math.pow(rope.theta(), exponent));
            }
            if (rope.type() == RopeParameters.RopeType.LLAMA3) {
                float factor = (float) rope.factor(), low = (float) rope.lowFreqFactor(), high = (float) rope.highFreqFactor();
                float oldLen = rope.originalMaxPositionEmbeddings();
                float lowWavelen = (float) (rope.originalMaxPositionEmbeddings() / rope.lowFreqFactor());
                float highWavelen = (float) (rope.originalMaxPositionEmbeddings() / rope.highFreqFactor());
                float span = (float) (rope.highFreqFactor() - rope.lowFreqFactor());
                for (int i = 0; i < half; i++) {
                    float wavelen = (1f / inv[i]) * (float) (2 * Math.PI);      // torch: scalar / t = t.reciprocal() * scalar
                    float scaled = wavelen > lowWavelen ? inv[i] / factor : inv[i];
                    boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
                    if (medium) {
                        float smooth = ((1f / wavelen) * oldLen - low) / span;
                        scaled = (1f - smooth) * scaled / factor + smooth * scaled;
                    }
                    inv[i] = scaled;
                }
            }
            return inv;
        }

        /** x·cos + rotate_half(x)·sin, rotate_half([a, b]) = [−b, a] on the last axis. x: [..., S, D]. */
        NDArray apply(NDArray x) {
            int last = x.getShape().dimension() - 1;
            NDList halves = x.split(2, last);
            NDArray rotated = halves.get(1).neg().concat(halves.get(0), last);
            return x.mul(cos).add(rotated.mul(sin));
        }
    }

    /** Gives the loss inputs for a batch of windows of S+1 tokens: ids[:, :S] and ids[:, 1:]. */
    public static NDArray[] splitWindow(NDArray windows) {
        return new NDArray[] {windows.get(new NDIndex(":, :-1")), windows.get(new NDIndex(":, 1:"))};
    }

    /** The x1 statistics of one layer of one batch, computed without keeping the graph. */
    public record LayerStats(long zeros, long count, double absSum) {}

    /** Zeros, element count and Σ|x1| of an x1 tensor. */
    public static LayerStats stats(NDArray x1) {
        long count = x1.getShape().size();
        long nonzero = x1.countNonzero().toType(DataType.INT64, false).getLong();
        double absSum = x1.abs().toType(DataType.FLOAT64, false).sum().getDouble();
        return new LayerStats(count - nonzero, count, absSum);
    }

}
