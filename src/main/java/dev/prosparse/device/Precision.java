package dev.prosparse.device;

import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.prosparse.util.ClosedNames;
import java.util.Locale;
import java.util.Optional;

/**
 * How training computes (recipe key {@code precision}, flag {@code --precision}).
 * <ul>
 *   <li>{@code fp32}: everything in float32.</li>
 *   <li>{@code fp16-mixed}: the forward and backward passes run on float16 copies of the weights, cast from the
 *       float32 master weights inside the autograd graph (so the gradients land, in float32, on the masters); AdamW
 *       moments stay float32; the loss is scaled dynamically ({@link LossScaler}); cross-entropy, the L1 term, the
 *       attention softmax and RMSNorm statistics are computed in float32. Needs a CUDA GPU.</li>
 * </ul>
 * bf16 is refused: DJL 0.35.1's native bridge aborts the JVM on any bfloat16 tensor (bfloat16 checkpoints still load
 * and save: they are converted in Java).
 */
public enum Precision {
    FP32("fp32", DataType.FLOAT32), FP16_MIXED("fp16-mixed", DataType.FLOAT16);

    private final String yaml;
    private final DataType compute;

    Precision(String yaml, DataType compute) {
        this.yaml = yaml;
        this.compute = compute;
    }

    /** The dtype of the forward/backward compute copies. */
    public DataType computeType() {
        return compute;
    }

    @JsonCreator
    public static Precision parse(String s) {
        Optional<Precision> known = ClosedNames.find(values(), Precision::yaml, s);
        if (known.isPresent()) {
            return known.get();
        }
        String v = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        if (v.startsWith("bf16") || v.startsWith("bfloat16")) {
            throw new IllegalArgumentException("bf16 is not supported: DJL 0.35.1's native bridge aborts the JVM on any"
                    + " bfloat16 tensor; use fp16-mixed on a GPU or fp32 (bfloat16 checkpoints still load and save)");
        }
        if (v.equals("fp16") || v.equals("float16") || v.equals("half")) {
            throw new IllegalArgumentException("pure fp16 training is not offered; use fp16-mixed (fp16 compute, fp32"
                    + " master weights and loss scaling) or fp32");
        }
        throw ClosedNames.unknown(values(), Precision::yaml, s);
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
