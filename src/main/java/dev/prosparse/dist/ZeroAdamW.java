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
import java.util.List;
import java.util.Map;

/**
 * ZeRO stage 1 AdamW (docs/distributed.md): each rank owns one shard of the flat parameter vector
 * ({@link ShardLayout}) and keeps, for that shard only, the float32 master weights and the two AdamW moments. A step:
 * {@link #reduceGradients} reduce-scatters the gradients so that the rank holds the mean gradient of its shard;
 * {@link #step} runs the same fused AdamW update as the single-process optimizer on the shard, all-gathers the updated
 * shards and copies them into every parameter in place. Both collectives run in buckets of the flat vector
 * ({@link FlatSlices}), so no full-size flat vector ever exists (docs/distributed.md, "Memory"). The update is elementwise, so a sharded step equals
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
    private final long part;    // elements of this rank's shard per bucket (the last bucket may be shorter)

    /** 2^25 elements per collective (128 MB of float32); a bucket holds at most 8 B × bucket + 8 B × bucket / world. */
    public static final long DEFAULT_BUCKET = 1L << 25;

    /** @param params the model's parameters (float32), identical on every rank when this is built */
    public ZeroAdamW(NDManager parent, Map<String, NDArray> params, Collectives group, double beta1, double beta2,
            double eps, double weightDecay) {
        this(parent, params, group, beta1, beta2, eps, weightDecay, DEFAULT_BUCKET);
    }

    /**
     * @param bucket elements of the flat vector moved by one collective (all ranks' parts together); the reduce-scatter,
     *               the all-gather and the norm work bucket by bucket, so their temporaries are bounded by it
     */
    public ZeroAdamW(NDManager parent, Map<String, NDArray> params, Collectives group, double beta1, double beta2,
            double eps, double weightDecay, long bucket) {
        if (bucket < 1) {
            throw new IllegalArgumentException("bucket " + bucket);
        }
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        this.group = group;
        this.params = params;
        this.layout = ShardLayout.of(params, group.worldSize());
        this.manager = parent.newSubManager();
        long s = layout.shardSize();
        this.part = Math.max(1, Math.min(s, bucket / group.worldSize()));
        try (NDManager tmp = manager.newSubManager()) {
            master = FlatSlices.read(layout, params, group.rank() * s, (group.rank() + 1) * s, tmp);   // [S]
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
        Map<String, NDArray> gs = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            NDArray g = grads != null ? grads.get(e.getKey()) : e.getValue().getGradient();
            if (grads == null) {
                g.attach(scope);         // gradient handles into the step's scope (docs/djl-notes.md §6)
            }
            gs.put(e.getKey(), g);
        }
        long s = layout.shardSize();
        int world = group.worldSize();
        NDArray shard = scope.zeros(new Shape(s), DataType.FLOAT32);                         // [S]
        for (long lo = 0; lo < s; lo += part) {
            long hi = Math.min(s, lo + part);
            // bucket: elements [lo, hi) of every rank's shard, rank by rank; its casts and buffers die with the bucket
            try (NDManager b = scope.newSubManager()) {
                NDList pieces = new NDList();
                for (int r = 0; r < world; r++) {
                    pieces.add(FlatSlices.read(layout, gs, r * s + lo, r * s + hi, b));      // [hi − lo]
                }
                NDArray in = world == 1 ? pieces.get(0) : NDArrays.concat(pieces);           // [world·(hi − lo)]
                in.attach(b);
                NDArray out = b.zeros(new Shape(hi - lo), DataType.FLOAT32);                 // [hi − lo]
                group.reduceScatterSum(in, out);
                shard.set(new NDIndex("{}:{}", lo, hi), out);
            }
        }
        {   // the gradients were read: zero them for the next step's accumulation (autograd adds into them)
            NDArray zero = Torch.scalar(scope, 0);
            Torch.noGrad(() -> {
                gs.values().forEach(g -> g.set(new NDIndex("..."), zero));
                return null;
            });
        }
        return shard.divi(Torch.scalar(scope, world));                                      // in place: the mean
    }

    /** Σ g² of a gradient shard as a float64 scalar: sum it over ranks for the global squared norm. */
    public static NDArray squareSum(NDArray shard) {
        return squareSum(shard, DEFAULT_BUCKET);
    }

    /** As {@link #squareSum(NDArray)}, a float64 copy of at most {@code chunk} elements at a time. */
    public static NDArray squareSum(NDArray shard, long chunk) {
        long s = shard.size();
        if (s <= chunk) {
            return shard.toType(DataType.FLOAT64, false).square().sum();
        }
        NDManager scope = shard.getManager();
        NDArray total = null;
        for (long lo = 0; lo < s; lo += chunk) {
            try (NDManager c = scope.newSubManager()) {
                NDArray piece = shard.get(new NDIndex("{}:{}", lo, Math.min(s, lo + chunk)));
                piece.attach(c);
                NDArray sq = piece.toType(DataType.FLOAT64, false).square().sum();        // float64 scalar
                NDArray next = total == null ? sq : total.add(sq);
                next.attach(scope);
                if (total != null) {
                    total.close();
                }
                total = next;
            }
        }
        return total;
    }

    /** Σ g² of this rank's gradient shard, chunk by chunk at the optimizer's bucket size. */
    public NDArray shardSquareSum(NDArray shard) {
        return squareSum(shard, part);
    }

    /**
     * One AdamW update of this rank's shard at step t (1-based) with the shard's gradient scaled by {@code gradScale},
     * then the all-gather of the updated weights into the parameters.
     */
    public void step(NDArray gradShard, int t, double lr, double gradScale, NDManager scope) {
        float lrCorrected = (float) (lr * Math.sqrt(1 - Math.pow(beta2, t)) / (1 - Math.pow(beta1, t)));
        long s = layout.shardSize();
        int world = group.worldSize();
        for (long lo = 0; lo < s; lo += part) {
            // the update is elementwise: run it on views of one bucket's part at a time (in place on the master and the
            // moments), so its temporaries (the scaled gradient, the denominator) are bounded by the part
            try (NDManager b = scope.newSubManager()) {
                NDIndex range = new NDIndex("{}:{}", lo, Math.min(s, lo + part));
                NDList views = new NDList(master.get(range), gradShard.get(range), expAvg.get(range), expAvgSq.get(range));
                views.attach(b);
                views.get(0).getNDArrayInternal().adamUpdate(views, new NDList(views.get(0)), (float) lr, lrCorrected,
                        (float) weightDecay, (float) gradScale, -1f, (float) beta1, (float) beta2, (float) eps, false, true);
            }
        }
        for (long lo = 0; lo < s; lo += part) {
            long hi = Math.min(s, lo + part);
            // bucket: elements [lo, hi) of every rank's shard, gathered and written into the parameters in place
            try (NDManager b = scope.newSubManager()) {
                NDArray mine = master.get(new NDIndex("{}:{}", lo, hi));
                mine.attach(b);
                NDArray in = mine.duplicate();                                               // [hi − lo]
                in.attach(b);
                NDArray all = b.zeros(new Shape(world * (hi - lo)), DataType.FLOAT32);       // [world·(hi − lo)]
                group.allGather(in, all);
                for (int r = 0; r < world; r++) {
                    NDArray got = all.get(new NDIndex("{}:{}", r * (hi - lo), (r + 1) * (hi - lo)));
                    got.attach(b);
                    FlatSlices.write(layout, params, r * s + lo, r * s + hi, got, b);
                }
            }
        }
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

    @Override
    public void close() {
        manager.close();
    }
}
