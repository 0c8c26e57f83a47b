package dev.prosparse.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.ProsparseException;
import dev.prosparse.io.DType;
import dev.prosparse.io.SafetensorsFile;
import dev.prosparse.io.SafetensorsWriter;
import dev.prosparse.io.SafetensorsWriter.TensorSource;
import dev.prosparse.util.Torch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW (decoupled weight decay) through libtorch's fused update of the DJL PyTorch engine, with
 * clipping by global L2 norm done here (DJL's own clip is per element and one-sided: docs/djl-notes.md §3).
 *
 * <p>Update per parameter p with gradient g scaled by the clip factor c:
 * p ← p − lr·wd·p; m ← β1·m + (1−β1)·c·g; v ← β2·v + (1−β2)·(c·g)²;
 * p ← p − lr·√(1−β2ᵗ)/(1−β1ᵗ) · m / (√v + ε). This is PyTorch's AdamW except that ε is added before the bias
 * correction of v (a difference of ε·(1/√(1−β2ᵗ) − 1), immaterial at ε = 1e-8). The update zeroes the gradient.
 */
public final class AdamW implements AutoCloseable {
    private final double beta1, beta2, eps, weightDecay;
    private final NDManager manager;
    private final Map<String, NDArray> expAvg = new LinkedHashMap<>();
    private final Map<String, NDArray> expAvgSq = new LinkedHashMap<>();

    public AdamW(NDManager parent, Map<String, NDArray> params, double beta1, double beta2, double eps, double weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.manager = parent.newSubManager();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            expAvg.put(e.getKey(), manager.zeros(e.getValue().getShape(), DataType.FLOAT32));
            expAvgSq.put(e.getKey(), manager.zeros(e.getValue().getShape(), DataType.FLOAT32));
        }
    }

    /**
     * Σ g² over all gradients (the square of the global L2 norm) as a scalar on the parameters' device. The gradient
     * handles are attached to {@code scope} so that nothing computed from them lands in the parameters' long-lived
     * manager (docs/djl-notes.md §6).
     */
    public static NDArray gradSquareSum(Map<String, NDArray> params, NDManager scope) {
        NDArray total = null;
        for (NDArray p : params.values()) {
            NDArray g = p.getGradient();
            g.attach(scope);
            NDArray sq = g.square().sum();
            total = total == null ? sq : total.add(sq);
        }
        return total;
    }

    /** Σ g² over the given gradients, as a scalar on their device. */
    public static NDArray squareSum(java.util.Collection<NDArray> grads) {
        NDArray total = null;
        for (NDArray g : grads) {
            NDArray sq = g.square().sum();
            total = total == null ? sq : total.add(sq);
        }
        return total;
    }

    /**
     * One update of every parameter with explicitly given float32 gradients (fp16-mixed: the gradients of the float16
     * compute copies, not of the masters themselves).
     */
    public void step(Map<String, NDArray> params, Map<String, NDArray> grads, int t, double lr, double gradScale) {
        float lrCorrected = (float) (lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t)));
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray p = e.getValue();
            p.getNDArrayInternal().adamUpdate(
                    new NDList(p, grads.get(e.getKey()), expAvg.get(e.getKey()), expAvgSq.get(e.getKey())), new NDList(p),
                    (float) lr, lrCorrected, (float) weightDecay, (float) gradScale, -1f,
                    (float) beta1, (float) beta2, (float) eps, false, true);
        }
    }

    /**
     * One update of every parameter at optimizer step {@code t} (1-based).
     *
     * @param gradScale factor applied to every gradient first (the clip factor, 1 for none)
     */
    public void step(Map<String, NDArray> params, int t, double lr, double gradScale, NDManager scope) {
        float lrCorrected = (float) (lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t)));
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray p = e.getValue();
            NDArray g = p.getGradient();
            g.attach(scope);
            p.getNDArrayInternal().adamUpdate(
                    new NDList(p, g, expAvg.get(e.getKey()), expAvgSq.get(e.getKey())), new NDList(p),
                    (float) lr, lrCorrected, (float) weightDecay, (float) gradScale, -1f,
                    (float) beta1, (float) beta2, (float) eps, false, true);
        }
    }

    /** Writes the moment estimates as {@code exp_avg.<name>} / {@code exp_avg_sq.<name>} float32 tensors. */
    public void save(Path file) {
        List<TensorSource> t = new ArrayList<>();
        for (String name : expAvg.keySet()) {
            t.add(TensorSource.ofFloats("exp_avg." + name, DType.F32, expAvg.get(name).getShape().getShape(),
                    expAvg.get(name).toFloatArray()));
            t.add(TensorSource.ofFloats("exp_avg_sq." + name, DType.F32, expAvgSq.get(name).getShape().getShape(),
                    expAvgSq.get(name).toFloatArray()));
        }
        SafetensorsWriter.write(file, Map.of("format", "pt", "content", "prosparse AdamW state"), t);
    }

    /** Restores the moment estimates written by {@link #save}. */
    public void load(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            for (String name : expAvg.keySet()) {
                replace(expAvg, name, f, "exp_avg." + name);
                replace(expAvgSq, name, f, "exp_avg_sq." + name);
            }
        }
    }

    /**
     * Sets the moment estimates from float32 values per parameter name (a single process resuming a ZeRO-sharded save:
     * docs/distributed.md). Every parameter must be present with its element count.
     */
    public void restore(Map<String, float[]> avg, Map<String, float[]> avgSq) {
        for (String name : expAvg.keySet()) {
            for (Map<String, NDArray> state : List.of(expAvg, expAvgSq)) {
                float[] v = (state == expAvg ? avg : avgSq).get(name);
                NDArray old = state.get(name);
                if (v == null || v.length != old.size()) {
                    throw ProsparseException.checkpoint("optimizer state for '" + name + "' is missing or has "
                            + (v == null ? 0 : v.length) + " elements, the model's parameter has " + old.size());
                }
                state.put(name, Torch.fromFloats(manager, v, old.getShape()).toDevice(old.getDevice(), false));
                old.close();
            }
        }
    }

    private void replace(Map<String, NDArray> state, String name, SafetensorsFile f, String key) {
        NDArray old = state.get(name);
        long[] shape = old.getShape().getShape();
        if (!Arrays.equals(f.info(key).shape(), shape)) {
            throw ProsparseException.checkpoint(f.path() + ": optimizer tensor '" + key + "' has shape "
                    + Arrays.toString(f.info(key).shape()) + ", the model's is " + Arrays.toString(shape));
        }
        state.put(name, Torch.fromFloats(manager, f.readFloat32(key), new Shape(shape)));
        old.close();
    }

    @Override
    public void close() {
        manager.close();
    }
}
