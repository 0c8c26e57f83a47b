package dev.prosparse.predict;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.util.Torch;

/**
 * One layer's pairs held on the training device (a GPU): x [rows, E] float32 and the labels [rows, I] as int8 0/1,
 * uploaded once in chunks of rows; minibatches are gathered there, so no batch is unpacked or copied on the host
 * (docs/powerinfer.md, "Predictors on the GPU"). Device memory: rows × (4·E + I) bytes.
 */
final class DevicePairs implements AutoCloseable {
    private static final int CHUNK_BYTES = 64 << 20;

    private final NDManager manager;
    private final NDArray x, labels;
    private final int hidden, intermediate;

    DevicePairs(LayerPairs p, NDManager parent) {
        this.manager = parent.newSubManager();
        this.hidden = p.hidden();
        this.intermediate = p.intermediate();
        int chunk = Math.max(1, CHUNK_BYTES / Math.max(p.hidden() * 4, p.intermediate()));
        NDList xs = new NDList(), ys = new NDList();
        for (int r0 = 0; r0 < p.rows(); r0 += chunk) {
            int n = Math.min(chunk, p.rows() - r0);
            float[] xc = java.util.Arrays.copyOfRange(p.x(), r0 * hidden, (r0 + n) * hidden);
            byte[] yc = new byte[n * intermediate];
            long base = (long) r0 * intermediate;
            for (int i = 0; i < yc.length; i++) {
                yc[i] = p.labels().get(base + i) ? (byte) 1 : 0;
            }
            xs.add(Torch.fromFloats(manager, xc, new Shape(n, hidden)));
            try (NDArray javaBacked = manager.create(yc, new Shape(n, intermediate))) {
                ys.add(javaBacked.duplicate());
            }
        }
        this.x = xs.size() == 1 ? xs.get(0) : NDArrays.concat(xs, 0);                   // [rows, E]
        this.labels = ys.size() == 1 ? ys.get(0) : NDArrays.concat(ys, 0);              // [rows, I] int8
    }

    /** Rows {@code idx} of x [B, E] and the labels as float32 [B, I], in {@code scope}. */
    NDArray[] batch(long[] idx, NDManager scope) {
        NDArray i = Torch.fromLongs(scope, idx, new Shape(idx.length, 1));               // [B, 1]
        NDArray xb = x.gather(i.repeat(1, hidden), 0);                                   // [B, E]
        NDArray yb = labels.gather(i.repeat(1, intermediate), 0).toType(DataType.FLOAT32, false); // [B, I]
        return new NDArray[] {xb, yb};
    }

    /** Device bytes for {@code rows} pairs. */
    static long bytes(long rows, int hidden, int intermediate) {
        return rows * (4L * hidden + intermediate);
    }

    @Override
    public void close() {
        manager.close();
    }
}
