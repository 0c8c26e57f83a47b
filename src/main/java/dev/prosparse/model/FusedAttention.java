package dev.prosparse.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.training.ParameterStore;
import dev.prosparse.util.Lazy;
import dev.prosparse.util.Torch;

/**
 * PyTorch's fused attention, {@code torch.scaled_dot_product_attention}, for DJL, which has no op for it: two
 * TorchScript modules (causal, and with an additive mask for sliding windows), written in memory by
 * {@link TorchScriptArchive}, loaded once per process through DJL's {@link PtSymbolBlock} and run with autograd (their
 * backward is PyTorch's fused backward). Grouped-query attention is passed through ({@code enable_gqa}), the scale is
 * SDPA's default 1/√D, dropout 0 — what transformers' "sdpa" attention computes for these families.
 *
 * <p>Outputs belong to the manager of {@code q} (DJL attaches a block's outputs to its first input's manager).
 */
public final class FusedAttention {
    private static final String CAUSAL = "  def forward(self: __torch__.Causal,\n"
            + "    q: Tensor,\n"
            + "    k: Tensor,\n"
            + "    v: Tensor) -> Tensor:\n"
            + "    return torch.scaled_dot_product_attention(q, k, v, None, 0., True, scale=None, enable_gqa=True)\n";
    private static final String MASKED = "  def forward(self: __torch__.Masked,\n"
            + "    q: Tensor,\n"
            + "    k: Tensor,\n"
            + "    v: Tensor,\n"
            + "    mask: Tensor) -> Tensor:\n"
            + "    return torch.scaled_dot_product_attention(q, k, v, mask, 0., False, scale=None, enable_gqa=True)\n";

    private static final Lazy<FusedAttention> INSTANCE = Lazy.of(FusedAttention::new);

    private final NDManager manager;
    private final PtSymbolBlock causal;
    private final PtSymbolBlock masked;

    private FusedAttention() {
        manager = Torch.newBaseManager();   // lives as long as the process; the modules hold no tensors
        causal = load("causal", "Causal", CAUSAL);
        masked = load("masked", "Masked", MASKED);
    }

    /** The modules, loaded on first use (on the device of {@link Torch#device()}; they hold no tensors). */
    public static FusedAttention get() {
        return INSTANCE.get();
    }

    private PtSymbolBlock load(String name, String className, String forward) {
        return ScriptModules.load(manager, name, className, forward,
                "PyTorch's fused attention (scaled_dot_product_attention)", "Train with the plain attention instead: --set attention=eager");
    }

    /**
     * Causal attention. q [B, H, S, D], k and v [B, KV, S, D] (H a multiple of KV) → [B, H, S, D].
     */
    public NDArray causal(NDArray q, NDArray k, NDArray v) {
        return run(causal, new NDList(q, k, v));
    }

    /**
     * Attention under an additive mask [S, S] (0 where a query may see a key, −inf elsewhere), in q's dtype.
     */
    public NDArray masked(NDArray q, NDArray k, NDArray v, NDArray mask) {
        return run(masked, new NDList(q, k, v, mask));
    }

    /**
     * Always in training mode: the module then follows the caller's autograd state (recording inside a
     * GradientCollector, not outside) instead of forcing no-grad as DJL does for inference calls.
     */
    private NDArray run(PtSymbolBlock block, NDList inputs) {
        return block.forward(new ParameterStore(inputs.head().getManager(), false), inputs, true).singletonOrThrow();
    }
}
