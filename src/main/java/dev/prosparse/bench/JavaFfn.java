package dev.prosparse.bench;

/**
 * The batch-1 FFN variants on {@link RowKernels}: rows are read in place (no gathered copy). Dense matrix-vector
 * products share their rows out over the threads of a {@link Workers} team in chunks of ~256 KB; the sparse part is
 * one fused pass over chunks of the active neurons (gate if needed, up, then the down row added into the running
 * thread's own partial output), and the partial outputs are summed at the end. All matrices are row-major with one neuron per
 * row: W_gate, W_up, W_downᵀ [I, E]; fc1 [r, E]; fc2 [I, r].
 */
final class JavaFfn {
    private final Workers workers;
    private final RowKernels kernels;
    private final int e, n, chunkFloats;
    private final float[] g, s1, s2;
    private final float[][] partial;                     // [threads][E]: each thread's share of y
    private final int[] idx, all;

    /** @param chunkFloats weights per chunk of work ({@link #CHUNK_FLOATS}; tests pass less to get many chunks) */
    JavaFfn(Workers workers, RowKernels kernels, int hidden, int intermediate, int rank, int chunkFloats) {
        this.workers = workers;
        this.chunkFloats = chunkFloats;
        this.kernels = kernels;
        this.e = hidden;
        this.n = intermediate;
        this.g = new float[intermediate];
        this.s1 = new float[Math.max(rank, 1)];
        this.s2 = new float[intermediate];
        this.idx = new int[intermediate];
        this.all = new int[intermediate];
        for (int j = 0; j < intermediate; j++) {
            all[j] = j;
        }
        this.partial = new float[workers.threads()][hidden];
    }

    String kernelName() {
        return kernels.name();
    }

    /** Dense on the same kernels: every row of all three matrices is read, as the dense FFN does. */
    void dense(float[] x, float[] wg, float[] wu, float[] wdt, float[] y) {
        rows(wg, null, all, n, x, wu, wdt, false, y);
    }

    /** Exact: gate for every row, then up and down for the rows with gate &gt; 0. Returns k. */
    int exact(float[] x, float[] wg, float[] wu, float[] wdt, float[] y) {
        workers.split(n, chunk(e), (p, a, b) -> kernels.gemvRows(wg, e, x, a, b, g));
        return exactGivenGate(g, x, wu, wdt, y);
    }

    /** Exact with the gate already computed (by libtorch): up and down for the rows with gate &gt; 0. Returns k. */
    int exactGivenGate(float[] gate, float[] x, float[] wu, float[] wdt, float[] y) {
        int k = RowKernels.select(gate, 0f, false, idx);
        rows(null, gate, idx, k, x, wu, wdt, true, y);
        return k;
    }

    /** Predictor-driven with the predictor output s already computed (by libtorch). Returns k. */
    int predictedGivenScores(float[] scores, float tau, float[] x, float[] wg, float[] wu, float[] wdt, float[] y) {
        int k = RowKernels.select(scores, tau, true, idx);
        rows(wg, null, idx, k, x, wu, wdt, true, y);
        return k;
    }

    /** Predictor-driven: s = fc2·relu(fc1·x), rows with s ≥ τ get gate, up and down. Returns k. */
    int predicted(float[] x, float[] fc1, float[] fc2, int rank, float tau, float[] wg, float[] wu, float[] wdt, float[] y) {
        workers.split(rank, chunk(e), (p, a, b) -> {
            kernels.gemvRows(fc1, e, x, a, b, s1);
            for (int j = a; j < b; j++) {
                s1[j] = Math.max(s1[j], 0f);
            }
        });
        workers.split(n, chunk(rank), (p, a, b) -> kernels.gemvRows(fc2, rank, s1, a, b, s2));
        return predictedGivenScores(s2, tau, x, wg, wu, wdt, y);
    }

    /** 256 KB of float32 weights: small enough to balance 2 threads, large enough that claiming one costs nothing. */
    static final int CHUNK_FLOATS = 65536;

    /** Rows per chunk of work: about chunkFloats weights, a multiple of 4 (the kernels' row block). */
    private int chunk(int floatsPerRow) {
        return Math.max(4, chunkFloats / Math.max(1, floatsPerRow) / 4 * 4);
    }

    /** y = Σ over the k neurons in rows[0, k) of relu(gate)·up · W_downᵀ[j], one fused pass per thread. */
    private void rows(float[] wg, float[] gate, int[] rows, int k, float[] x, float[] wu, float[] wdt, boolean skipInactive,
            float[] y) {
        for (float[] pt : partial) {
            java.util.Arrays.fill(pt, 0f);
        }
        workers.split(k, chunk(3 * e), (p, a, b) -> kernels.gatedRowsDown(wg, gate, wu, wdt, e, x, rows, a, b, skipInactive, partial[p]));
        System.arraycopy(partial[0], 0, y, 0, e);
        for (int t = 1; t < partial.length; t++) {
            float[] pt = partial[t];
            for (int c = 0; c < e; c++) {
                y[c] += pt[c];
            }
        }
    }
}
