package dev.prosparse.predict;

import ai.djl.ndarray.types.DataType;
import dev.prosparse.ProsparseException;
import java.util.Locale;

/**
 * Where a layer's training pairs live while its predictor is trained, and x's dtype there (docs/powerinfer.md,
 * "Predictors on the GPU"). HOST: minibatches are unpacked from the Java arrays (float32, bit labels) each step.
 * TENSOR_*: x [rows, E] and the labels [rows, I] (int8) are uploaded once to the training device and minibatches are
 * gathered there; x is stored in float32 or float16 and every minibatch is cast to float32 before the maths, so only
 * the storage is 16-bit (the training is float32 either way).
 */
public enum PairStore {
    HOST(null), TENSOR_FLOAT32(DataType.FLOAT32), TENSOR_FLOAT16(DataType.FLOAT16);

    /** The largest finite float16: an |x| above it would be stored as infinity. */
    static final float FLOAT16_MAX = 65504f;

    private final DataType xType;

    PairStore(DataType xType) {
        this.xType = xType;
    }

    /** x's dtype on the device, or null for HOST. */
    public DataType xType() {
        return xType;
    }

    /** Bytes per x element on the device (0 for HOST). */
    public int xBytes() {
        return xType == null ? 0 : xType.getNumOfBytes();
    }

    /**
     * The store for a {@code --pairs-dtype} value ({@code auto}, {@code float16}, {@code float32}) on a GPU or the CPU.
     * auto: float16 on a GPU (half the memory of x), the host arrays on the CPU. float16 on the CPU keeps the pairs as
     * tensors too (the GPU's code path; it saves no host memory there).
     *
     * @param where the flag or key the value came from, for the error line
     */
    public static PairStore resolve(String value, boolean gpu, String where) {
        String v = value == null ? "auto" : value.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "auto":
                return gpu ? TENSOR_FLOAT16 : HOST;
            case "float16":
            case "fp16":
            case "f16":
                return TENSOR_FLOAT16;
            case "float32":
            case "fp32":
            case "f32":
                return gpu ? TENSOR_FLOAT32 : HOST;
            default:
                throw ProsparseException.usage(where + " " + value + ": unknown pairs dtype; use auto, float16 or float32"
                        + " (for example " + where + " float16)");
        }
    }
}
