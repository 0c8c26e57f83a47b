package dev.prosparse.predict;

/**
 * The (x, 1[x1 ≠ 0]) pairs of one layer for a set of token positions: x = the FFN's input residual stream
 * (before post_attention_layernorm) [n, E] row-major, labels = whether each neuron's x1 is non-zero [n, I], one
 * bit per (row, neuron) at row·I + neuron.
 */
public record LayerPairs(int rows, int hidden, int intermediate, float[] x, BitMask labels) {

    public LayerPairs {
        if ((long) rows * hidden != x.length || (long) rows * intermediate != labels.size()) {
            throw new IllegalArgumentException("LayerPairs: " + rows + " rows need x of " + rows + "x" + hidden
                    + " and labels of " + rows + "x" + intermediate);
        }
    }

    /** Rows [from, to) as a new LayerPairs. */
    public LayerPairs slice(int from, int to) {
        float[] xs = java.util.Arrays.copyOfRange(x, from * hidden, to * hidden);
        return new LayerPairs(to - from, hidden, intermediate, xs,
                labels.slice((long) from * intermediate, (long) to * intermediate));
    }

    public long positives() {
        return labels.count();
    }

    /** The fraction of (row, neuron) entries that are zero: the layer's activation sparsity on these rows. */
    public double sparsity() {
        return 1.0 - (double) positives() / labels.size();
    }

    /**
     * Bytes the pairs of {@code rows} positions take while a layer is trained: the collector's residual stream and
     * this layer's pairs, plus the train / cut / report copies (x as float32, labels as bits).
     */
    public static long bytesWhileTraining(long rows, int hidden, int intermediate) {
        long pairs = rows * hidden * 4L + (rows * intermediate + 7) / 8;
        return rows * hidden * 4L + 2 * pairs;
    }
}
