package dev.prosparse.predict;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.util.Torch;

/**
 * One layer's pairs held as tensors on the training device (a GPU): x [rows, E] in float32 or float16 and the labels
 * [rows, I] as int8 0/1, uploaded once in chunks of rows; minibatches are gathered there and cast to float32, so no
 * batch is unpacked or copied on the host and the maths is float32 whatever the storage (docs/powerinfer.md,
 * "Predictors on the GPU"). Device memory: rows × (b·E + I) bytes, b = 4 (float32) or 2 (float16).
 */
final class DevicePairs implements AutoCloseable {
    private static final int CHUNK_BYTES = 64 << 20;

    private final NDManager manager;
    private final NDArray x, labels;
    private final int hidden, intermediate;
    private final PairStore store;

    /**
     * @param want TENSOR_FLOAT32 or TENSOR_FLOAT16; float16 falls back to float32 for this layer when an |x| passes
     *             float16's largest value (see {@link #store()})
     */
    DevicePairs(LayerPairs p, PairStore want, NDManager parent) {
        if (want == PairStore.HOST) {
            throw new IllegalArgumentException("DevicePairs holds tensors; HOST pairs stay in the Java arrays");
        }
        this.store = want == PairStore.TENSOR_FLOAT16 && maxAbs(p.x()) > PairStore.FLOAT16_MAX ? PairStore.TENSOR_FLOAT32 : want;
        this.manager = parent.newSubManager();
        this.hidden = p.hidden();
        this.intermediate = p.intermediate();
        int chunk = Math.max(1, CHUNK_BYTES / Math.max(p.hidden() * 4, p.intermediate()));
        NDList xs = new NDList(), ys = new NDList();
        for (int r0 = 0; r0 < p.rows(); r0 += chunk) {
            int n = Math.min(chunk, p.rows() - r0);
            float[] xc = java.util.Arrays.copyOfRange(p.x(), r0 * hidden, (r0 + n) * hidden);
            NDArray xf = Torch.fromFloats(manager, xc, new Shape(n, hidden));                   // [n, E] float32
            if (store.xType() == DataType.FLOAT32) {
                xs.add(xf);
            } else {
                xs.add(xf.toType(store.xType(), false));                                        // [n, E] float16
                xf.close();
            }
            byte[] yc = new byte[n * intermediate];
            p.labels().unpack((long) r0 * intermediate, yc);
            try (NDArray javaBacked = manager.create(yc, new Shape(n, intermediate))) {
                ys.add(javaBacked.duplicate());                                                 // [n, I] int8
            }
        }
        this.x = join(xs);                                                                      // [rows, E]
        this.labels = join(ys);                                                                 // [rows, I] int8
    }

    /** The chunks as one tensor; the chunks are freed (they would double the layer's memory until it is trained). */
    private static NDArray join(NDList parts) {
        if (parts.size() == 1) {
            return parts.get(0);
        }
        NDArray all = NDArrays.concat(parts, 0);
        parts.forEach(NDArray::close);
        return all;
    }

    static float maxAbs(float[] v) {
        float m = 0;
        for (float f : v) {
            m = Math.max(m, Math.abs(f));
        }
        return m;
    }

    /** What this layer's x is stored as: the requested store, or float32 when float16 would overflow. */
    PairStore store() {
        return store;
    }

    /**
     * Rows {@code idx} of x as float32 [B, E] and the labels as float32 [B, I], in {@code scope}. DJL attaches an op's
     * result to its first operand's manager, so every array gathered from x or the labels is moved to {@code scope} at
     * once; otherwise each step's batch would stay on the device until the layer is done.
     */
    NDArray[] batch(long[] idx, NDManager scope) {
        NDArray i = Torch.fromLongs(scope, idx, new Shape(idx.length, 1));               // [B, 1] int64
        if (!i.getDevice().equals(x.getDevice())) {
            i = i.toDevice(x.getDevice(), false);
        }
        NDArray xb = inScope(x.gather(i.repeat(1, hidden), 0), scope);                  // [B, E] stored dtype
        if (xb.getDataType() != DataType.FLOAT32) {
            xb = xb.toType(DataType.FLOAT32, false);                                     // [B, E] float32
        }
        NDArray yb = inScope(labels.gather(i.repeat(1, intermediate), 0), scope)        // [B, I] int8
                .toType(DataType.FLOAT32, false);                                        // [B, I] float32
        return new NDArray[] {xb, yb};
    }

    private static NDArray inScope(NDArray a, NDManager scope) {
        a.attach(scope);
        return a;
    }

    /** Arrays this store's manager holds (x and the labels; more would be batches leaking into it). */
    int managedArrays() {
        return manager.getManagedArrays().size();
    }

    /** Device bytes for {@code rows} pairs with x stored at {@code xBytes} bytes per element. */
    static long bytes(long rows, int hidden, int intermediate, int xBytes) {
        return rows * ((long) xBytes * hidden + intermediate);
    }

    @Override
    public void close() {
        manager.close();
    }
}
