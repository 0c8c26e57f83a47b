package dev.prosparse.bench;

import java.util.Optional;

/**
 * Batch-1 FFN kernels over row-major float32 matrices that touch only the rows of the active neurons, with no
 * copy of the gathered rows: what makes a sparse FFN fast on a CPU (docs/sparse-ffn.md). Every matrix here is
 * stored [I, E] with one neuron per row (W_gate, W_up and W_downᵀ, PowerInfer's {@code ffn_down_t}), so an
 * active neuron is one contiguous row of E floats in all three.
 *
 * <p>Memory-bound at batch 1 once the arithmetic keeps up: the cost is the bytes of the rows read, so skipping
 * 90 % of the rows skips 90 % of the traffic. Two implementations: {@link VectorRowKernels} (the JDK's
 * jdk.incubator.vector, one FMA per SIMD register) and {@link ScalarRowKernels} (plain loops, used when the JVM
 * was started without {@code --add-modules jdk.incubator.vector}).
 */
interface RowKernels {

    /** A short name for the report, e.g. "vector (512-bit)". */
    String name();

    /** out[j] = W[j]·x for rows j in [from, to): a dense matrix-vector product. W [rows, cols] row-major. */
    void gemvRows(float[] w, int cols, float[] x, int from, int to, float[] out);

    /**
     * The fused sparse FFN over the active neurons idx[from, to): for each j = idx[k],
     * h = relu(g_j)·(W_up[j]·x) with g_j = W_gate[j]·x ({@code gate != null}) or gateDense[j] (gate computed
     * before), then y += h·W_downᵀ[j] ({@code y}, length e, is added to: the caller zeroes it). With {@code skipInactive} the
     * down row of a neuron with relu(g_j) = 0 is not read (it adds nothing); without, every down row is read, as a
     * dense FFN does.
     */
    void gatedRowsDown(float[] gate, float[] gateDense, float[] up, float[] downT, int e, float[] x, int[] idx, int from,
            int to, boolean skipInactive, float[] y);

    /** The vector kernels when the JVM has jdk.incubator.vector, else the scalar ones. */
    static RowKernels best() {
        Optional<Module> vector = ModuleLayer.boot().findModule("jdk.incubator.vector");
        return vector.isPresent() ? VectorRowKernels.create() : new ScalarRowKernels();
    }

    /** The indices j with v[j] > t (strictly, as ReLU's support) or ≥ t ({@code inclusive}); returns the count. */
    static int select(float[] v, float t, boolean inclusive, int[] idx) {
        int n = 0;
        if (inclusive) {
            for (int j = 0; j < v.length; j++) {
                idx[n] = j;
                n += v[j] >= t ? 1 : 0;  // branch-free: the masks are random
            }
        } else {
            for (int j = 0; j < v.length; j++) {
                idx[n] = j;
                n += v[j] > t ? 1 : 0;
            }
        }
        return n;
    }
}
