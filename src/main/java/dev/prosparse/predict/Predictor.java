package dev.prosparse.predict;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.util.Torch;

/**
 * One layer's activation predictor s = fc2 · relu(fc1 · x), no biases: fc1 [r, E], fc2 [I, r] (torch layouts,
 * row-major). Neuron j is predicted active iff s_j ≥ a threshold.
 */
public record Predictor(int rank, int hidden, int intermediate, float[] fc1, float[] fc2) {

    public Predictor {
        if (fc1.length != rank * hidden || fc2.length != intermediate * rank) {
            throw new IllegalArgumentException("predictor shapes: fc1 " + fc1.length + " != " + rank + "x" + hidden
                    + " or fc2 " + fc2.length + " != " + intermediate + "x" + rank);
        }
    }

    /** s for x [..., E] → [..., I], in the manager of x. */
    public static NDArray scores(NDArray x, NDArray fc1, NDArray fc2) {
        NDArray hid = x.getNDArrayInternal().linear(x, fc1, null).singletonOrThrow().getNDArrayInternal().relu(); // [..., r]
        return hid.getNDArrayInternal().linear(hid, fc2, null).singletonOrThrow();                             // [..., I]
    }

    /** s for the rows of x [n·E] → [n·I], computed in float32 by libtorch in chunks. */
    public float[] scores(float[] x, int n, NDManager parent) {
        float[] out = new float[n * intermediate];
        int chunk = 4096;
        try (NDManager m = parent.newSubManager()) {
            NDArray w1 = Torch.fromFloats(m, fc1, new Shape(rank, hidden));
            NDArray w2 = Torch.fromFloats(m, fc2, new Shape(intermediate, rank));
            for (int r0 = 0; r0 < n; r0 += chunk) {
                int nr = Math.min(chunk, n - r0);
                try (NDManager s = m.newSubManager()) {
                    float[] xs = java.util.Arrays.copyOfRange(x, r0 * hidden, (r0 + nr) * hidden);
                    NDArray xa = Torch.fromFloats(s, xs, new Shape(nr, hidden));
                    float[] sc = scores(xa, w1, w2).toFloatArray();
                    System.arraycopy(sc, 0, out, r0 * intermediate, sc.length);
                }
            }
        }
        return out;
    }

    /** This predictor with fc2 multiplied by {@code scale} (relu is positively homogeneous: s scales by it too). */
    public Predictor scaled(float scale) {
        float[] f2 = fc2.clone();
        for (int i = 0; i < f2.length; i++) {
            f2[i] *= scale;
        }
        return new Predictor(rank, hidden, intermediate, fc1, f2);
    }
}
