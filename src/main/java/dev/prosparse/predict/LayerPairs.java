package dev.prosparse.predict;

/**
 * The (x, 1[x1 ≠ 0]) pairs of one layer for a set of token positions: x = the FFN's input residual stream
 * (before post_attention_layernorm) [n, E], labels = whether each neuron's x1 is non-zero [n, I].
 */
public record LayerPairs(int rows, int hidden, int intermediate, float[] x, boolean[] labels) {

    /** Rows [from, to) as a new LayerPairs. */
    public LayerPairs slice(int from, int to) {
        float[] xs = java.util.Arrays.copyOfRange(x, from * hidden, to * hidden);
        boolean[] ls = java.util.Arrays.copyOfRange(labels, from * intermediate, to * intermediate);
        return new LayerPairs(to - from, hidden, intermediate, xs, ls);
    }

    public long positives() {
        long p = 0;
        for (boolean b : labels) {
            p += b ? 1 : 0;
        }
        return p;
    }

    /** The fraction of (row, neuron) entries that are zero: the layer's activation sparsity on these rows. */
    public double sparsity() {
        return 1.0 - (double) positives() / labels.length;
    }
}
