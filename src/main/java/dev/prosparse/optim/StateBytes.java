package dev.prosparse.optim;

import ai.djl.ndarray.NDArray;
import java.util.Collection;
import java.util.Locale;

/**
 * The bytes per parameter that training keeps for every parameter, counted from the arrays a step actually holds:
 * the compute weights the forward pass reads, their gradients, the float32 master weights (fp16-mixed only: in fp32
 * the compute weights are the masters) and the two AdamW moments. docs/gpu.md ("Training state") explains the budget
 * of 16 bytes per parameter.
 *
 * @param parameters   the number of parameters
 * @param weights      bytes of the weights the forward and backward passes compute with
 * @param gradients    bytes of their gradients
 * @param master       bytes of separate float32 master weights (0 when the compute weights are the masters)
 * @param moments      bytes of the AdamW moments
 * @param hostResident bytes of the above that live in host memory rather than on the device (optimizer offload)
 */
public record StateBytes(long parameters, long weights, long gradients, long master, long moments, long hostResident) {

    /** The bytes of the given arrays (their element count times their element size). */
    public static long of(Collection<NDArray> arrays) {
        long n = 0;
        for (NDArray a : arrays) {
            n += a.getShape().size() * a.getDataType().getNumOfBytes();
        }
        return n;
    }

    /** The element count of the given arrays. */
    public static long count(Collection<NDArray> arrays) {
        long n = 0;
        for (NDArray a : arrays) {
            n += a.getShape().size();
        }
        return n;
    }

    public long total() {
        return weights + gradients + master + moments;
    }

    public double perParameter() {
        return parameters == 0 ? 0 : (double) total() / parameters;
    }

    /** One log line, e.g. "training state: 16.0 bytes/parameter (weights 2.0 + gradients 2.0 + …) = 17.6 GiB …". */
    public String describe() {
        double p = Math.max(1, parameters);
        String split = String.format(Locale.ROOT, "weights %.1f + gradients %.1f%s + AdamW moments %.1f",
                weights / p, gradients / p, master > 0 ? String.format(Locale.ROOT, " + fp32 master %.1f", master / p) : "",
                moments / p);
        String host = hostResident > 0 ? String.format(Locale.ROOT, "; %.2f GiB of it in host memory (optimizer offload)",
                hostResident / 1073741824.0) : "";
        return String.format(Locale.ROOT, "training state: %.1f bytes/parameter (%s) = %.2f GiB for %.3f B parameters%s",
                perParameter(), split, total() / 1073741824.0, parameters / 1e9, host);
    }
}
