package dev.prosparse.bench;

/**
 * The batch-1 FFN variants on {@link RowKernels}: rows are read in place (no gathered copy), split over the
 * threads of a {@link Workers} team. All matrices are row-major with one neuron per row: W_gate, W_up,
 * W_downᵀ [I, E]; fc1 [r, E]; fc2 [I, r].
 */
final class JavaFfn {
    private final Workers workers;
    private final int e, n;
    private final float[] g, h, s1, s2;
    private final int[] idx;

    JavaFfn(Workers workers, int hidden, int intermediate, int rank) {
        this.workers = workers;
        this.e = hidden;
        this.n = intermediate;
        this.g = new float[intermediate];
        this.h = new float[intermediate];
        this.s1 = new float[Math.max(rank, 1)];
        this.s2 = new float[intermediate];
        this.idx = new int[intermediate];
    }

    /** Dense on the same kernels (every row). */
    void dense(float[] x, float[] wg, float[] wu, float[] wdt, float[] y) {
        workers.split(n, 1, (a, b) -> {
            for (int j = a; j < b; j++) {
                idx[j] = j;
            }
            RowKernels.gatedRows(wg, null, wu, e, x, idx, a, b, h);
        });
        down(n, wdt, y);
    }

    /** Exact: gate for every row, then up and down for the rows with gate &gt; 0. Returns k. */
    int exact(float[] x, float[] wg, float[] wu, float[] wdt, float[] y) {
        workers.split(n, 1, (a, b) -> RowKernels.gemvRows(wg, e, x, a, b, g));
        int k = RowKernels.select(g, 0f, false, idx);
        workers.split(k, 1, (a, b) -> RowKernels.gatedRows(null, g, wu, e, x, idx, a, b, h));
        down(k, wdt, y);
        return k;
    }

    /** Exact with the gate already computed (by libtorch): up and down for the rows with gate &gt; 0. Returns k. */
    int exactGivenGate(float[] gate, float[] x, float[] wu, float[] wdt, float[] y) {
        int k = RowKernels.select(gate, 0f, false, idx);
        workers.split(k, 1, (a, b) -> RowKernels.gatedRows(null, gate, wu, e, x, idx, a, b, h));
        down(k, wdt, y);
        return k;
    }

    /** Predictor-driven with the predictor output s already computed (by libtorch). Returns k. */
    int predictedGivenScores(float[] scores, float tau, float[] x, float[] wg, float[] wu, float[] wdt, float[] y) {
        int k = RowKernels.select(scores, tau, true, idx);
        workers.split(k, 1, (a, b) -> RowKernels.gatedRows(wg, null, wu, e, x, idx, a, b, h));
        down(k, wdt, y);
        return k;
    }

    /** Predictor-driven: s = fc2·relu(fc1·x), rows with s ≥ τ get gate, up and down. Returns k. */
    int predicted(float[] x, float[] fc1, float[] fc2, int rank, float tau, float[] wg, float[] wu, float[] wdt, float[] y) {
        workers.split(rank, 1, (a, b) -> {
            RowKernels.gemvRows(fc1, e, x, a, b, s1);
            for (int j = a; j < b; j++) {
                s1[j] = Math.max(s1[j], 0f);
            }
        });
        workers.split(n, 1, (a, b) -> RowKernels.gemvRows(fc2, rank, s1, a, b, s2));
        int k = RowKernels.select(s2, tau, true, idx);
        workers.split(k, 1, (a, b) -> RowKernels.gatedRows(wg, null, wu, e, x, idx, a, b, h));
        down(k, wdt, y);
        return k;
    }

    private void down(int k, float[] wdt, float[] y) {
        workers.split(e, RowKernels.LANES, (c0, c1) -> RowKernels.axpyRows(wdt, e, idx, h, k, y, c0, c1));
    }
}
