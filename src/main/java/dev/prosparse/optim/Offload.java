package dev.prosparse.optim;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.prosparse.util.ClosedNames;

/**
 * Where the optimizer keeps its state and runs its update (recipe key {@code optimizer.offload}).
 * <ul>
 *   <li>{@code none}: the float32 master weights and AdamW moments live on the training device, next to the model.</li>
 *   <li>{@code cpu}: they live in host memory and the update runs there, one pass per element on Java threads
 *       ({@link HostAdamW}), which also writes the next step's compute weights; the device keeps the compute weights
 *       and their gradients from step to step (the ZeRO-Offload idea, docs/gpu.md "Optimizer offload"). On a CPU-only
 *       machine device and host are the same memory and it computes the same to float32 rounding.</li>
 * </ul>
 */
public enum Offload {
    NONE("none"), CPU("cpu");

    private final String yaml;

    Offload(String yaml) {
        this.yaml = yaml;
    }

    /** Whether the optimizer state lives in host memory. */
    public boolean toHost() {
        return this == CPU;
    }

    @JsonCreator
    public static Offload parse(String s) {
        return ClosedNames.parse(values(), Offload::yaml, s);
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
