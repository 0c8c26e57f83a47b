package dev.prosparse.bench;

/**
 * Batch-1 FFN kernels over row-major float32 matrices that touch only the rows of the active neurons, with no
 * copy of the gathered rows: what makes a sparse FFN fast on a CPU (docs/sparse-ffn.md). Every matrix here is
 * stored [I, E] with one neuron per row (W_gate, W_up and W_downᵀ, PowerInfer's {@code ffn_down_t}), so an
 * active neuron is one contiguous row of E floats in all three.
 *
 * <p>Memory-bound at batch 1: the cost is the bytes of the rows read, so skipping 90 % of the rows skips 90 %
 * of the traffic. Loops are written for HotSpot (dot: 8 independent sums; axpy: auto-vectorised).
 */
final class RowKernels {
    static final int LANES = 16;

    private RowKernels() {}

    /**
     * dot(w[row·e .. row·e+e), x) with 8 independent partial sums in locals (measured here: 2× the speed of an
     * accumulator array). e must be a multiple of 8.
     */
    static float dot(float[] w, int row, int e, float[] x) {
        float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f, a4 = 0f, a5 = 0f, a6 = 0f, a7 = 0f;
        int base = row * e;
        for (int c = 0; c < e; c += 8) {
            int b = base + c;
            a0 += w[b] * x[c];
            a1 += w[b + 1] * x[c + 1];
            a2 += w[b + 2] * x[c + 2];
            a3 += w[b + 3] * x[c + 3];
            a4 += w[b + 4] * x[c + 4];
            a5 += w[b + 5] * x[c + 5];
            a6 += w[b + 6] * x[c + 6];
            a7 += w[b + 7] * x[c + 7];
        }
        return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
    }

    /** out[j] = dot(W[j], x) for rows j in [from, to): a dense matrix-vector product. W [n, e]. */
    static void gemvRows(float[] w, int e, float[] x, int from, int to, float[] out) {
        for (int j = from; j < to; j++) {
            out[j] = dot(w, j, e, x);
        }
    }

    /**
     * The gated part for the active rows idx[from, to): h[k] = relu(W_gate[idx[k]]·x) · (W_up[idx[k]]·x).
     * With {@code gate == null} the gate values were already computed densely ({@code gateDense}).
     */
    static void gatedRows(float[] gate, float[] gateDense, float[] up, int e, float[] x, int[] idx, int from, int to,
            float[] h) {
        for (int k = from; k < to; k++) {
            int j = idx[k];
            float g = gate == null ? gateDense[j] : dot(gate, j, e, x);
            h[k] = Math.max(g, 0f) * dot(up, j, e, x);
        }
    }

    /** y[c0, c1) = Σ_k h[k] · W[idx[k], c0..c1): the down projection from W_downᵀ [I, E], columns c0..c1. */
    static void axpyRows(float[] wt, int e, int[] idx, float[] h, int count, float[] y, int c0, int c1) {
        for (int c = c0; c < c1; c++) {
            y[c] = 0f;
        }
        for (int k = 0; k < count; k++) {
            float a = h[k];
            int base = idx[k] * e;
            for (int c = c0; c < c1; c++) {
                y[c] += a * wt[base + c];
            }
        }
    }

    /** The indices j with v[j] > t (strictly, as ReLU's support) or ≥ t ({@code inclusive}); returns the count. */
    static int select(float[] v, float t, boolean inclusive, int[] idx) {
        int n = 0;
        for (int j = 0; j < v.length; j++) {
            if (inclusive ? v[j] >= t : v[j] > t) {
                idx[n++] = j;
            }
        }
        return n;
    }
}
