package dev.prosparse.dist;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.io.DType;
import dev.prosparse.io.SafetensorsWriter;
import dev.prosparse.io.SafetensorsWriter.TensorSource;
import dev.prosparse.util.Torch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * ZeRO stage 1 AdamW (docs/distributed.md): each rank owns one shard of the flat parameter vector
 * ({@link ShardLayout}) and keeps, for that shard only, the float32 master weights and the two AdamW moments. A step:
 * {@link #reduceGradients} reduce-scatters the flattened gradients so that the rank holds the mean gradient of its
 * shard; {@link #step} runs the same fused AdamW update as the single-process optimizer on the shard, all-gathers the
 * updated shards and copies them into every parameter in place. The update is elementwise, so a sharded step equals
 * the single-process step with the same (mean) gradient.
 */
public final class ZeroAdamW implements AutoCloseable {
    private final double beta1, beta2, eps, weightDecay;
    private final Collectives group;
    private final ShardLayout layout;
    private final Map<String, NDArray> params;
    private final NDManager manager;
    private NDArray master;     // [S] float32: this rank's shard of the weights
    private NDArray expAvg;     // [S]
    private NDArray expAvgSq;   // [S]

    /** @param params the model's parameters (float32), identical on every rank when this is built */
    public ZeroAdamW(NDManager parent, Map<String, NDArray> params, Collectives group, double beta1, double beta2,
            double eps, double weightDecay) {
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.group = group;
        this.params = params;
        this.layout = ShardLayout.of(params, group.worldSize());
        this.manager = parent.newSubManager();
        long s = layout.shardSize();
        try (NDManager tmp = manager.newSubManager()) {
            NDArray flat = flatten(params.values(), tmp);
            master = flat.get(new NDIndex("{}:{}", group.rank() * s, (group.rank() + 1) * s)).duplicate();
            master.attach(manager);
        }
        expAvg = manager.zeros(new Shape(s), DataType.FLOAT32);
        expAvgSq = manager.zeros(new Shape(s), DataType.FLOAT32);
    }

    /** Bytes of this rank's optimizer state: the float32 master shard and the two moment shards. */
    public long stateBytes() {
        return 3L * 4 * layout.shardSize();
    }

    public ShardLayout layout() {
        return layout;
    }

    /**
     * This rank's shard [S] of the mean over ranks of the gradients (float32, the parameters' order); {@code grads}
     * null means the parameters' own gradients. The gradients read are zeroed in place for the next step's accumulation.
     */
    public NDArray reduceGradients(Map<String, NDArray> grads, NDManager scope) {
        List<NDArray> gs = new ArrayList<>();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray g = grads != null ? grads.get(e.getKey()) : e.getValue().getGradient();
            if (grads == null) {
                g.attach(scope);         // gradient handles into the step's scope (docs/djl-notes.md §6)
            }
            gs.add(g);
        }
        NDArray flat = flatten(gs, scope);                                    // [world·S]
        {   // the gradients were read: zero them for the next step's accumulation (autograd adds into them)
            NDArray zero = Torch.scalar(scope, 0);
            Torch.noGrad(() -> {
                gs.forEach(g -> g.set(new NDIndex("..."), zero));
                return null;
            });
        }
        NDArray shard = scope.zeros(new Shape(layout.shardSize()), DataType.FLOAT32);   // [S]
        group.reduceScatterSum(flat, shard);
        return shard.div(Torch.scalar(scope, group.worldSize()));
    }

    /** Σ g² of a gradient shard as a float64 scalar: sum it over ranks for the global squared norm. */
    public static NDArray squareSum(NDArray shard) {
        return shard.toType(DataType.FLOAT64, false).square().sum();
    }

    /**
     * One AdamW update of this rank's shard at step t (1-based) with the shard's gradient scaled by {@code gradScale},
     * then the all-gather of the updated weights into the parameters.
     */
    public void step(NDArray gradShard, int t, double lr, double gradScale, NDManager scope) {
        float lrCorrected = (float) (lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t)));
        master.getNDArrayInternal().adamUpdate(new NDList(master, gradShard, expAvg, expAvgSq), new NDList(master),
                (float) lr, lrCorrected, (float) weightDecay, (float) gradScale, -1f, (float) beta1, (float) beta2,
                (float) eps, false, true);
        NDArray all = scope.zeros(new Shape(layout.padded()), DataType.FLOAT32);         // [world·S]
        group.allGather(master, all);
        Torch.noGrad(() -> {
            for (ShardLayout.Entry e : layout.entries()) {
                NDArray part = all.get(new NDIndex("{}:{}", e.offset(), e.offset() + e.numel())).reshape(new Shape(e.shape()));
                params.get(e.name()).set(new NDIndex("..."), part);
            }
            return null;
        });
    }

    /** Writes this rank's moments (its real elements only) as {@link ZeroState#shardName} in {@code dir}. */
    public void save(Path dir) {
        int r = group.rank();
        long b = layout.begin(r), e = layout.end(r);
        long n = e - b;
        List<TensorSource> t = new ArrayList<>();
        t.add(TensorSource.ofFloats("exp_avg", DType.F32, new long[] {n}, real(expAvg, n)));
        t.add(TensorSource.ofFloats("exp_avg_sq", DType.F32, new long[] {n}, real(expAvgSq, n)));
        SafetensorsWriter.write(dir.resolve(ZeroState.shardName(r, layout.world())), Map.of("format", "pt", "content",
                "prosparse ZeRO-1 AdamW shard", "world_size", Integer.toString(layout.world()), "rank", Integer.toString(r),
                "begin", Long.toString(b), "end", Long.toString(e), "layout_sha256", layout.fingerprint()), t);
    }

    /**
     * Restores this rank's moments from a save written at any world size (or by a single process) and re-slices the
     * master shard from the parameters (the save's float32 weights, loaded before). Returns the saved world size
     * (0: a single-process save).
     */
    public int load(Path dir) {
        int r = group.rank();
        long b = layout.begin(r), e = layout.end(r);
        float[][] m = ZeroState.readRange(dir, layout, b, e);
        expAvg = replace(expAvg, m[0]);
        expAvgSq = replace(expAvgSq, m[1]);
        return ZeroState.savedWorld(dir);
    }

    private NDArray replace(NDArray old, float[] real) {
        float[] full = new float[Math.toIntExact(layout.shardSize())];
        System.arraycopy(real, 0, full, 0, real.length);
        NDArray fresh = Torch.fromFloats(manager, full, new Shape(full.length)).toDevice(old.getDevice(), false);
        old.close();
        return fresh;
    }

    private static float[] real(NDArray shard, long n) {
        float[] a = shard.toFloatArray();
        return n == a.length ? a : java.util.Arrays.copyOf(a, (int) n);
    }

    /** The arrays flattened, concatenated and zero-padded to the layout's padded length: [world·S] float32. */
    private NDArray flatten(Collection<NDArray> arrays, NDManager scope) {
        NDList parts = new NDList();
        for (NDArray a : arrays) {
            NDArray f = a.toType(DataType.FLOAT32, false).reshape(-1);
            if (f != a) {
                f.attach(scope);            // never the parameter itself: only the view made here
            }
            parts.add(f);
        }
        long pad = layout.padded() - layout.total();
        if (pad > 0) {
            parts.add(scope.zeros(new Shape(pad), DataType.FLOAT32, parts.get(0).getDevice()));
        }
        return NDArrays.concat(parts);
    }

    @Override
    public void close() {
        manager.close();
    }
}
