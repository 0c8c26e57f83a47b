package dev.prosparse.optim;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.prosparse.util.ClosedNames;

/**
 * How the optimizer step runs its gradient norm and AdamW update (recipe key {@code optimizer.kernel};
 * docs/gpu.md, "Fused optimizer step").
 * <ul>
 *   <li>{@code per-tensor}: one libtorch call per tensor and operation through DJL.</li>
 *   <li>{@code fused}: the norm as a multi-tensor kernel ({@code torch._foreach_norm}) and the update in one pass per
 *       tensor ({@code torch._fused_adamw_}, with ε rescaled to our formula), through TorchScript modules; equal to
 *       the per-tensor step to float32 rounding.</li>
 *   <li>{@code auto} (default): fused on a GPU, where the per-tensor calls cost most, and when the optimizer is
 *       offloaded; per-tensor on a CPU, so that CPU results stay what they were.</li>
 * </ul>
 */
public enum StepKernel {
    AUTO("auto"), FUSED("fused"), PER_TENSOR("per-tensor");

    private final String yaml;

    StepKernel(String yaml) {
        this.yaml = yaml;
    }

    /** Whether the fused kernels run, for parameters on a GPU or not and with the optimizer offloaded or not. */
    public boolean fused(boolean gpu, boolean offload) {
        return this == FUSED || (this == AUTO && (gpu || offload));
    }

    @JsonCreator
    public static StepKernel parse(String s) {
        return ClosedNames.parse(values(), StepKernel::yaml, s);
    }

    @JsonValue
    public String yaml() {
        return yaml;
    }

    @Override
    public String toString() {
        return yaml;
    }
}
