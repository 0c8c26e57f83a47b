package dev.prosparse.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/**
 * How {@link CausalLM} computes attention (recipe key {@code attention}; docs/gpu.md).
 * <ul>
 *   <li>{@code eager}: matmul, scale, mask, float32 softmax, matmul on DJL ops; materialises the [B, H, S, S]
 *       scores and probabilities (transformers' "eager").</li>
 *   <li>{@code sdpa}: PyTorch's fused {@code scaled_dot_product_attention} (flash / memory-efficient kernels on a
 *       GPU, nothing S×S kept for the backward pass), which DJL has no op for, run through a TorchScript module
 *       ({@link FusedAttention}); transformers' "sdpa".</li>
 *   <li>{@code auto} (default): sdpa on a GPU, eager on the CPU (where the results stay bit-identical to earlier
 *       releases).</li>
 * </ul>
 */
public enum AttentionKernel {
    AUTO, EAGER, SDPA;

    @JsonCreator
    public static AttentionKernel parse(String s) {
        String v = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        for (AttentionKernel k : values()) {
            if (k.yaml().equals(v)) {
                return k;
            }
        }
        throw new IllegalArgumentException("must be auto, eager or sdpa, got '" + s + "'");
    }

    /** Whether attention on arrays of this device runs fused. */
    public boolean fusedOn(ai.djl.Device device) {
        return this == SDPA || (this == AUTO && device.isGpu());
    }

    /** For the start-up log: what runs on {@code device}, e.g. "auto (sdpa: PyTorch's fused kernel)". */
    public String describe(ai.djl.Device device) {
        String what = fusedOn(device) ? "sdpa: PyTorch's fused scaled_dot_product_attention" : "eager: DJL ops";
        return this == AUTO ? "auto (" + what + ")" : what;
    }

    @JsonValue
    public String yaml() {
        return name().toLowerCase(Locale.ROOT);
    }

    @Override
    public String toString() {
        return yaml();
    }
}
