package dev.prosparse.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.config.ModelType;
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
 * rotary variant (default or llama3) and MiniCPM's three scale factors; see docs/model-families.md. Those details
 * live here and in {@link Attention} and {@link Rope} only.
 *
 * <p>Every consumer runs the model through its one walk over the decoder layers ({@link LayerWalk}, with
 * {@link LayerHooks} to observe or override each FFN and a {@link LayerSource} for the weights): docs/layer-walk.md.
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
        List<NDArray> x1s = keepX1 ? new ArrayList<>(config.numHiddenLayers()) : Collections.emptyList();
        NDArray h = LayerWalk.run(this, inputIds, LayerWalk.Scopes.WHOLE_GRAPH,
                keepX1 ? collecting(x1s) : LayerHooks.NONE);                             // [B, S, E]
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
                windowed.put(w, Attention.causalMask(m, seq, w));
            }
            return new Positions(Rope.of(m, config.headDim(), config.rope(), seq), Attention.causalMask(m, seq, 0), windowed).to(dtype);
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
        return miniCpm() ? h.mul(Torch.scalar(h.getManager(), config.embeddingScale())) : h;
    }

    /**
     * One decoder layer with its weights from {@link #weights()}; x1Out, if not null, receives its x1 [B, S, I].
     * h [B, S, E] → [B, S, E].
     */
    public NDArray decoderLayer(NDArray h, int layer, Positions pos, List<NDArray> x1Out) {
        return decoderLayer(h, weights.layer(layer), layer, pos, collecting(x1Out), 0);
    }

    /**
     * One decoder layer, the step of {@link LayerWalk} (and of recompute in training): pre-norm attention and gated
     * FFN, each added to the residual stream (scaled by scale_depth/√layers for MiniCPM), with the hooks' FFN
     * override and observer (docs/layer-walk.md).
     *
     * @param h    [B, S, E]
     * @param w    layer {@code layer}'s weights (from the walk's {@link LayerSource})
     * @param lane the walk's batch index, passed to the observer
     * @return [B, S, E]
     */
    public NDArray decoderLayer(NDArray h, LayerWeights w, int layer, Positions pos, LayerHooks hooks, int lane) {
        return ffnBlock(attentionBlock(h, w, layer, pos), w, layer, hooks, lane);
    }

    /**
     * The first half of a decoder layer: h + attention(input_layernorm(h)) (the attention branch scaled by
     * scale_depth/√layers for MiniCPM). The result is the FFN's input residual stream ("ffn_inp" in llama.cpp and
     * PowerInfer), the input of activation predictors. h [B, S, E] → [B, S, E].
     */
    public NDArray attentionBlock(NDArray h, int layer, Positions pos) {
        return attentionBlock(h, weights.layer(layer), layer, pos);
    }

    private NDArray attentionBlock(NDArray h, LayerWeights w, int layer, Positions pos) {
        int window = config.slidingWindow(layer);
        NDArray attn = Attention.forward(config, attentionKernel, rmsNorm(h, w.inputNorm()), w, pos.rope(),
                pos.mask(window), window);                                                                   // [B, S, E]
        return h.add(miniCpm() ? attn.mul(Torch.scalar(h.getManager(), config.residualScale())) : attn);
    }

    /**
     * The second half of a decoder layer with weights from {@link #weights()}; x1Out, if not null, receives x1.
     * h [B, S, E] (the output of {@link #attentionBlock}) → [B, S, E].
     */
    public NDArray ffnBlock(NDArray h, int layer, List<NDArray> x1Out) {
        return ffnBlock(h, weights.layer(layer), layer, collecting(x1Out), 0);
    }

    /** h + down_proj(x1), x1 = σ(gate_proj(x)) ⊙ up_proj(x), x = post_attention_layernorm(h) (× scale for MiniCPM). */
    private NDArray ffnBlock(NDArray h, LayerWeights w, int layer, LayerHooks hooks, int lane) {
        NDArray x = rmsNorm(h, w.postNorm());                                                                   // [B, S, E]
        NDArray gate = linear(x, w.gate());                                                                     // [B, S, I]
        NDArray up = linear(x, w.up());                                                                         // [B, S, I]
        NDArray x1 = activation.apply(gate, up, activationParam);                                               // [B, S, I]
        if (hooks.override() != null) {
            x1 = hooks.override().x1(layer, new LayerHooks.Ffn(h, gate, up, x1));                               // [B, S, I]
        }
        if (hooks.observer() != null) {
            hooks.observer().layer(layer, lane, h, x1);
        }
        NDArray ffn = linear(x1, w.down());                                                                     // [B, S, E]
        return h.add(miniCpm() ? ffn.mul(Torch.scalar(h.getManager(), config.residualScale())) : ffn);
    }

    /** Final RMSNorm (÷ hidden/dim_model_base for MiniCPM) and lm_head. [B, S, E] → [B, S, V]. */
    public NDArray head(NDArray h) {
        h = rmsNorm(h, weights.finalNorm());                                                       // [B, S, E]
        if (miniCpm()) {
            h = h.div(Torch.scalar(h.getManager(), config.logitDivisor()));
        }
        return linear(h, weights.lmHead());                                                                     // [B, S, V]
    }

    /** MiniCPM scales the embeddings, each residual branch and the final hidden state (docs/model-families.md). */
    private boolean miniCpm() {
        return config.family() == ModelType.MINICPM;
    }

    /** Hooks whose observer appends each x1 to {@code x1Out} (none when it is null). */
    private static LayerHooks collecting(List<NDArray> x1Out) {
        return x1Out == null ? LayerHooks.NONE : LayerHooks.observing((layer, lane, input, x1) -> x1Out.add(x1));
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
