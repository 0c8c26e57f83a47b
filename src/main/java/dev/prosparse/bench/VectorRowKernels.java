package dev.prosparse.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link RowKernels} on the JDK's Vector API (jdk.incubator.vector; Java 17 needs {@code --add-modules
 * jdk.incubator.vector} at compile and run time): the widest SIMD registers of the CPU (16 floats with AVX-512),
 * four independent FMA chains per dot product so that the adds do not wait on each other, a scalar tail for
 * lengths that are not a multiple of the register. Load this class only through {@link RowKernels#best()}.
 */
final class VectorRowKernels implements RowKernels {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;
    private static final int L = S.length();

    private VectorRowKernels() {}

    static RowKernels create() {
        return new VectorRowKernels();
    }

    @Override
    public String name() {
        return "vector (jdk.incubator.vector, " + S.vectorBitSize() + "-bit, " + L + " floats)";
    }

    /** dot(w[base .. base+e), x). */
    static float dot(float[] w, int base, int e, float[] x) {
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
        int c = 0;
        for (; c + 4 * L <= e; c += 4 * L) {
            a0 = FloatVector.fromArray(S, w, base + c).fma(FloatVector.fromArray(S, x, c), a0);
            a1 = FloatVector.fromArray(S, w, base + c + L).fma(FloatVector.fromArray(S, x, c + L), a1);
            a2 = FloatVector.fromArray(S, w, base + c + 2 * L).fma(FloatVector.fromArray(S, x, c + 2 * L), a2);
            a3 = FloatVector.fromArray(S, w, base + c + 3 * L).fma(FloatVector.fromArray(S, x, c + 3 * L), a3);
        }
        for (; c + L <= e; c += L) {
            a0 = FloatVector.fromArray(S, w, base + c).fma(FloatVector.fromArray(S, x, c), a0);
        }
        float s = a0.add(a1).add(a2.add(a3)).reduceLanes(VectorOperators.ADD);
        for (; c < e; c++) {
            s += w[base + c] * x[c];
        }
        return s;
    }

    /** y[0, e) += a · w[base .. base+e). */
    static void axpy(float a, float[] w, int base, int e, float[] y) {
        FloatVector av = FloatVector.broadcast(S, a);
        int c = 0;
        for (; c + 2 * L <= e; c += 2 * L) {
            FloatVector.fromArray(S, w, base + c).fma(av, FloatVector.fromArray(S, y, c)).intoArray(y, c);
            FloatVector.fromArray(S, w, base + c + L).fma(av, FloatVector.fromArray(S, y, c + L)).intoArray(y, c + L);
        }
        for (; c + L <= e; c += L) {
            FloatVector.fromArray(S, w, base + c).fma(av, FloatVector.fromArray(S, y, c)).intoArray(y, c);
        }
        for (; c < e; c++) {
            y[c] += a * w[base + c];
        }
    }

    /**
     * out[o..o+4) = dot(w[b_i .. b_i+e), x) for four rows at once: four memory streams in flight (a row of a 7B FFN
     * is 16 KB, four pages, at a random place: one stream at a time waits on DRAM at every page) and one load of x
     * per four FMAs.
     */
    static void dot4(float[] w, int b0, int b1, int b2, int b3, int e, float[] x, float[] out, int o) {
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
        int c = 0;
        for (; c + L <= e; c += L) {
            FloatVector xv = FloatVector.fromArray(S, x, c);
            a0 = FloatVector.fromArray(S, w, b0 + c).fma(xv, a0);
            a1 = FloatVector.fromArray(S, w, b1 + c).fma(xv, a1);
            a2 = FloatVector.fromArray(S, w, b2 + c).fma(xv, a2);
            a3 = FloatVector.fromArray(S, w, b3 + c).fma(xv, a3);
        }
        float s0 = a0.reduceLanes(VectorOperators.ADD), s1 = a1.reduceLanes(VectorOperators.ADD);
        float s2 = a2.reduceLanes(VectorOperators.ADD), s3 = a3.reduceLanes(VectorOperators.ADD);
        for (; c < e; c++) {
            s0 += w[b0 + c] * x[c];
            s1 += w[b1 + c] * x[c];
            s2 += w[b2 + c] * x[c];
            s3 += w[b3 + c] * x[c];
        }
        out[o] = s0;
        out[o + 1] = s1;
        out[o + 2] = s2;
        out[o + 3] = s3;
    }

    /** {@link #dot4} on two matrices at once (gate and up of the same four neurons): eight streams in flight. */
    static void dot4x2(float[] w, float[] v, int b0, int b1, int b2, int b3, int e, float[] x, float[] outW, float[] outV) {
        FloatVector a0 = FloatVector.zero(S), a1 = FloatVector.zero(S), a2 = FloatVector.zero(S), a3 = FloatVector.zero(S);
        FloatVector c0 = FloatVector.zero(S), c1 = FloatVector.zero(S), c2 = FloatVector.zero(S), c3 = FloatVector.zero(S);
        int c = 0;
        for (; c + L <= e; c += L) {
            FloatVector xv = FloatVector.fromArray(S, x, c);
            a0 = FloatVector.fromArray(S, w, b0 + c).fma(xv, a0);
            c0 = FloatVector.fromArray(S, v, b0 + c).fma(xv, c0);
            a1 = FloatVector.fromArray(S, w, b1 + c).fma(xv, a1);
            c1 = FloatVector.fromArray(S, v, b1 + c).fma(xv, c1);
            a2 = FloatVector.fromArray(S, w, b2 + c).fma(xv, a2);
            c2 = FloatVector.fromArray(S, v, b2 + c).fma(xv, c2);
            a3 = FloatVector.fromArray(S, w, b3 + c).fma(xv, a3);
            c3 = FloatVector.fromArray(S, v, b3 + c).fma(xv, c3);
        }
        float[] t = {a0.reduceLanes(VectorOperators.ADD), a1.reduceLanes(VectorOperators.ADD),
            a2.reduceLanes(VectorOperators.ADD), a3.reduceLanes(VectorOperators.ADD),
            c0.reduceLanes(VectorOperators.ADD), c1.reduceLanes(VectorOperators.ADD),
            c2.reduceLanes(VectorOperators.ADD), c3.reduceLanes(VectorOperators.ADD)};
        int[] b = {b0, b1, b2, b3};
        for (; c < e; c++) {
            for (int i = 0; i < 4; i++) {
                t[i] += w[b[i] + c] * x[c];
                t[4 + i] += v[b[i] + c] * x[c];
            }
        }
        System.arraycopy(t, 0, outW, 0, 4);
        System.arraycopy(t, 4, outV, 0, 4);
    }

    /** y[0, e) += Σ_i h[i] · w[b_i .. b_i+e) for four rows: four streams, one load and store of y per four FMAs. */
    static void axpy4(float[] h, int[] b, float[] w, int e, float[] y) {
        FloatVector h0 = FloatVector.broadcast(S, h[0]), h1 = FloatVector.broadcast(S, h[1]);
        FloatVector h2 = FloatVector.broadcast(S, h[2]), h3 = FloatVector.broadcast(S, h[3]);
        int b0 = b[0], b1 = b[1], b2 = b[2], b3 = b[3];
        int c = 0;
        for (; c + L <= e; c += L) {
            FloatVector acc = FloatVector.fromArray(S, y, c);
            acc = FloatVector.fromArray(S, w, b0 + c).fma(h0, acc);
            acc = FloatVector.fromArray(S, w, b1 + c).fma(h1, acc);
            acc = FloatVector.fromArray(S, w, b2 + c).fma(h2, acc);
            acc = FloatVector.fromArray(S, w, b3 + c).fma(h3, acc);
            acc.intoArray(y, c);
        }
        for (; c < e; c++) {
            y[c] += h[0] * w[b0 + c] + h[1] * w[b1 + c] + h[2] * w[b2 + c] + h[3] * w[b3 + c];
        }
    }

    @Override
    public void gemvRows(float[] w, int cols, float[] x, int from, int to, float[] out) {
        int j = from;
        for (; j + 4 <= to; j += 4) {
            dot4(w, j * cols, (j + 1) * cols, (j + 2) * cols, (j + 3) * cols, cols, x, out, j);
        }
        for (; j < to; j++) {
            out[j] = dot(w, j * cols, cols, x);
        }
    }

    /**
     * Four neurons at a time: their gate (unless given) and up dot products together, then the down rows of those
     * with h ≠ 0 are queued and added four at a time.
     */
    @Override
    public void gatedRowsDown(float[] gate, float[] gateDense, float[] up, float[] downT, int e, float[] x, int[] idx,
            int from, int to, boolean skipInactive, float[] y) {
        float[] g = new float[4], u = new float[4], qh = new float[4];
        int[] qb = new int[4];
        int queued = 0;
        for (int k = from; k < to; k += 4) {
            int m = Math.min(4, to - k);
            int b0 = idx[k] * e, b1 = idx[k + Math.min(1, m - 1)] * e, b2 = idx[k + Math.min(2, m - 1)] * e,
                    b3 = idx[k + Math.min(3, m - 1)] * e;                // a short last block repeats its last row
            if (gate == null) {
                for (int i = 0; i < m; i++) {
                    g[i] = gateDense[idx[k + i]];
                }
                dot4(up, b0, b1, b2, b3, e, x, u, 0);
            } else {
                dot4x2(gate, up, b0, b1, b2, b3, e, x, g, u);
            }
            for (int i = 0; i < m; i++) {
                if (g[i] > 0f || !skipInactive) {              // relu(g) = 0: the neuron adds nothing
                    qh[queued] = Math.max(g[i], 0f) * u[i];
                    qb[queued++] = idx[k + i] * e;
                    if (queued == 4) {
                        axpy4(qh, qb, downT, e, y);
                        queued = 0;
                    }
                }
            }
        }
        for (int i = 0; i < queued; i++) {
            axpy(qh[i], downT, qb[i], e, y);
        }
    }
}
