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
     * Σ g² over all gradients (the square of the global L2 norm) as a float32 scalar on the parameters' device. The
     * gradient handles are attached to {@code scope} so that nothing computed from them lands in the parameters'
     * long-lived manager (docs/djl-notes.md §6).
     */
    public static NDArray gradSquareSum(Map<String, NDArray> params, NDManager scope) {
        return squareSum(gradients(params, scope).values(), scope);
    }

    /** The gradients autograd left on {@code params}, by name, attached to {@code scope}. */
    public static Map<String, NDArray> gradients(Map<String, NDArray> params, NDManager scope) {
        Map<String, NDArray> grads = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray g = e.getValue().getGradient();
            g.attach(scope);
            grads.put(e.getKey(), g);
        }
        return grads;
    }

    /**
     * Σ g² over the given gradients (float32 or float16; squared and summed in float32) as a float32 scalar in
     * {@code scope}. Each tensor's float32 copy and square live only while that tensor is summed, so the sum costs one
     * tensor's temporaries, not a second gradient set (docs/gpu.md, "Training state").
     */
    public static NDArray squareSum(java.util.Collection<NDArray> grads, NDManager scope) {
        NDArray total = null;
        for (NDArray g : grads) {
            NDArray sq;
            try (NDManager tmp = scope.newSubManager()) {
                g.tempAttach(tmp);                             // back in its manager when tmp closes
                sq = asFloat32(g).square().sum();              // []
                sq.attach(scope);
            }
            total = total == null ? sq : total.add(sq);
        }
        return total;
    }

    /**
     * One update of every parameter with explicitly given gradients, float32 or float16 (fp16-mixed: the gradients of
     * the float16 compute copies, not of the masters themselves). A float16 gradient is cast to float32 one tensor at
     * a time, just before its update, so no float32 gradient set ever exists.
     *
     * @param gradScale factor applied to every gradient first (clip factor over the loss scale; 1 for none)
     */
    public void step(Map<String, NDArray> params, Map<String, NDArray> grads, int t, double lr, double gradScale,
            NDManager scope) {
        float lrCorrected = (float) (lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t)));
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray p = e.getValue();
            NDArray g = grads.get(e.getKey());
            try (NDManager tmp = scope.newSubManager()) {
                g.tempAttach(tmp);
                p.getNDArrayInternal().adamUpdate(
                        new NDList(p, asFloat32(g), expAvg.get(e.getKey()), expAvgSq.get(e.getKey())), new NDList(p),
                        (float) lr, lrCorrected, (float) weightDecay, (float) gradScale, -1f,
                        (float) beta1, (float) beta2, (float) eps, false, true);
            }
        }
    }

    /**
     * One update of every parameter at optimizer step {@code t} (1-based), with the gradients autograd left on them.
     *
     * @param gradScale factor applied to every gradient first (the clip factor, 1 for none)
     */
    public void step(Map<String, NDArray> params, int t, double lr, double gradScale, NDManager scope) {
        step(params, gradients(params, scope), t, lr, gradScale, scope);
    }

    /** Tensors of one fused update call hold at most this many elements (one bigger tensor goes alone). */
    static final long CHUNK_ELEMENTS = 1L << 26;

    /**
     * Σ g² over all gradients (float32 or float16) in one multi-tensor call ({@link OptimizerModules}): a float32
     * scalar in {@code scope}. Equal to {@link #squareSum} up to float32 rounding (the per-tensor norms are summed
     * in another order).
     */
    public static NDArray fusedSquareSum(java.util.Collection<NDArray> grads, NDManager scope) {
        return OptimizerModules.get().squareNorm(new ArrayList<>(grads), scope);
    }

    /**
     * The update of {@link #step(Map, Map, int, double, double, NDManager)}, operation for operation, as multi-tensor
     * kernels over chunks of at most {@link #CHUNK_ELEMENTS} elements ({@link OptimizerModules}); zeroes the gradients.
     * The float32 copies of float16 gradients exist for one chunk at a time.
     */
    public void fusedStep(Map<String, NDArray> params, Map<String, NDArray> grads, int t, double lr, double gradScale) {
        double[] h = hyper(t, lr, gradScale);
        for (List<String> chunk : chunks(params)) {
            OptimizerModules.get().adamw(pick(params, chunk), pick(grads, chunk), pick(expAvg, chunk), pick(expAvgSq, chunk), h);
        }
    }

    /**
     * The update of {@link #step(Map, Map, int, double, double, NDManager)} in one pass per tensor: libtorch's
     * {@code _fused_adamw_} (PyTorch's {@code AdamW(fused=True)}) over chunks of at most {@link #CHUNK_ELEMENTS}
     * elements, with ε rescaled so that its formula is ours ({@link OptimizerModules}); zeroes the gradients. Equal to
     * the per-tensor step to float32 rounding (operations are grouped differently), not bit for bit.
     */
    public void onePassStep(Map<String, NDArray> params, Map<String, NDArray> grads, int t, double lr, double gradScale) {
        double[] h = onePassHyper(t, lr, gradScale);
        for (List<String> chunk : chunks(params)) {
            OptimizerModules.get().adamwOnePass(pick(params, chunk), pick(grads, chunk), pick(expAvg, chunk),
                    pick(expAvgSq, chunk), h);
        }
    }

    /**
     * The update of {@link #fusedStep} with the float32 masters and moments in host memory and the compute copies and
     * their gradients on the device (optimizer offload, docs/gpu.md "Optimizer offload"), chunk by chunk through
     * {@link OffloadPipeline}: gradients down, one pass of {@link HostAdamW} on {@code threads} threads, the new
     * compute weights (the masters cast to the copies' dtype, rounded to nearest even) up into {@code copies}, whose
     * gradients are then zeroed. The copies thus enter the next step equal to the masters' cast, with no cast at its
     * start. The maths is {@link #fusedStep}'s to float32 rounding (see {@link HostAdamW}).
     *
     * @param copies the device compute copies whose gradients {@code grads} are, by parameter name
     */
    public void offloadStep(Map<String, NDArray> params, Map<String, NDArray> grads, Map<String, NDArray> copies, int t,
            double lr, double gradScale, int threads, NDManager scope) {
        if (pipeline == null || pipeline.threads() != threads) {
            if (pipeline != null) {
                pipeline.close();
            }
            pipeline = new OffloadPipeline(threads, hostKernel);
        }
        List<OffloadPipeline.Chunk> work = new ArrayList<>();
        for (List<String> chunk : chunks(params)) {
            work.add(new OffloadPipeline.Chunk(pick(params, chunk), pick(expAvg, chunk), pick(expAvgSq, chunk),
                    pick(copies, chunk), pick(grads, chunk)));
        }
        pipeline.run(work, HostAdamW.Hyper.of(hyper(t, lr, gradScale)), onePassHyper(t, lr, gradScale), scope);
    }

    /** Zeroes {@code grads} in one multi-tensor call (a skipped step under optimizer offload, whose copies persist). */
    public static void zeroGradients(java.util.Collection<NDArray> grads) {
        OptimizerModules.get().zero(new ArrayList<>(grads));
    }

    private OffloadPipeline pipeline;
    private OffloadPipeline.HostKernel hostKernel = OffloadPipeline.HostKernel.fromProperty();

    /** The offloaded update's host kernel (tests; runs take it from -Dprosparse.offload.kernel). */
    void hostKernel(OffloadPipeline.HostKernel k) {
        hostKernel = k;
        if (pipeline != null) {
            pipeline.close();
            pipeline = null;
        }
    }

    /** h of {@link OptimizerModules#adamwOnePass}: [lr, weight_decay, grad_scale, β1, β2, ε', t]. */
    private double[] onePassHyper(int t, double lr, double gradScale) {
        return new double[] {lr, weightDecay, gradScale, beta1, beta2, eps / Math.sqrt(1 - Math.pow(beta2, t)), t};
    }

    /** h of {@link OptimizerModules}: every value rounded to float32 as the per-tensor update's JNI call rounds it. */
    private double[] hyper(int t, double lr, double gradScale) {
        float b1 = (float) beta1, b2 = (float) beta2;
        float lrCorrected = (float) (lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t)));
        return new double[] {(float) lr, (float) weightDecay, (float) gradScale, b1, 1f - b1, b2, 1f - b2, lrCorrected,
                (float) eps};
    }

    /** The moment tensors themselves, m and v of each parameter in order: [m₀, v₀, m₁, v₁, …] (benchmarks). */
    public List<NDArray> momentsView() {
        List<NDArray> out = new ArrayList<>();
        for (String name : expAvg.keySet()) {
            out.add(expAvg.get(name));
            out.add(expAvgSq.get(name));
        }
        return out;
    }

    /** The two moments of one parameter, float32 values (tests). */
    float[][] moments(String name) {
        return new float[][] {expAvg.get(name).toFloatArray(), expAvgSq.get(name).toFloatArray()};
    }

    private long chunkElements = CHUNK_ELEMENTS;

    /** Smaller chunks, so that a test's few tensors still make several (tests only). */
    void chunkElements(long n) {
        chunkElements = n;
    }

    /** Parameter names in order, in runs of at most {@link #chunkElements} elements (a bigger tensor alone). */
    private List<List<String>> chunks(Map<String, NDArray> params) {
        List<List<String>> out = new ArrayList<>();
        List<String> cur = new ArrayList<>();
        long elements = 0;
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            long n = e.getValue().getShape().size();
            if (!cur.isEmpty() && elements + n > chunkElements) {
                out.add(cur);
                cur = new ArrayList<>();
                elements = 0;
            }
            cur.add(e.getKey());
            elements += n;
        }
        if (!cur.isEmpty()) {
            out.add(cur);
        }
        return out;
    }

    private static List<NDArray> pick(Map<String, NDArray> arrays, List<String> names) {
        List<NDArray> out = new ArrayList<>(names.size());
        for (String n : names) {
            out.add(arrays.get(n));
        }
        return out;
    }

    private static NDArray asFloat32(NDArray g) {
        return g.getDataType() == DataType.FLOAT32 ? g : g.toType(DataType.FLOAT32, false);
    }

    /** The bytes of per-parameter optimizer state: the two float32 moments. */
    public long stateBytes() {
        long n = 0;
        for (NDArray m : expAvg.values()) {
            n += m.getShape().size() * 4;
        }
        return 2 * n;
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
        if (pipeline != null) {
            pipeline.close();
        }
        manager.close();
    }
}
