package dev.prosparse.bench;

/** {@link RowKernels} in plain Java loops (HotSpot unrolls them but does not vectorise the dot products). */
final class ScalarRowKernels implements RowKernels {

    @Override
    public String name() {
        return "scalar (start the JVM with --add-modules jdk.incubator.vector for the vector kernels)";
    }

    /** dot(w[base .. base+e), x) with 8 independent partial sums in locals, then a tail. */
    static float dot(float[] w, int base, int e, float[] x) {
        float a0 = 0f, a1 = 0f, a2 = 0f, a3 = 0f, a4 = 0f, a5 = 0f, a6 = 0f, a7 = 0f;
        int c = 0;
        for (; c + 8 <= e; c += 8) {
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
        float s = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7));
        for (; c < e; c++) {
            s += w[base + c] * x[c];
        }
        return s;
    }

    @Override
    public void gemvRows(float[] w, int cols, float[] x, int from, int to, float[] out) {
        for (int j = from; j < to; j++) {
            out[j] = dot(w, j * cols, cols, x);
        }
    }

    @Override
    public void gatedRowsDown(float[] gate, float[] gateDense, float[] up, float[] downT, int e, float[] x, int[] idx,
            int from, int to, boolean skipInactive, float[] y) {
        for (int k = from; k < to; k++) {
            int base = idx[k] * e;
            float g = gate == null ? gateDense[idx[k]] : dot(gate, base, e, x);
            if (g <= 0f && skipInactive) {
                continue;                                   // relu(g) = 0: the neuron adds nothing
            }
            float h = Math.max(g, 0f) * dot(up, base, e, x);
            for (int c = 0; c < e; c++) {
                y[c] += h * downT[base + c];
            }
        }
    }
}
