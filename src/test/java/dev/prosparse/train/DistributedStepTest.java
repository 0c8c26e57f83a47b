package dev.prosparse.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.Fixtures;
import dev.prosparse.TorchTestBase;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.dist.Collectives;
import dev.prosparse.dist.DataParallel;
import dev.prosparse.dist.LocalGroup;
import dev.prosparse.dist.ShardLayout;
import dev.prosparse.dist.ZeroAdamW;
import dev.prosparse.dist.ZeroState;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.HfCheckpoint;
import dev.prosparse.config.Activation;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.Weights;
import dev.prosparse.optim.AdamW;
import dev.prosparse.util.Torch;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * ZeRO-1 data parallel on the IN-PROCESS STAND-IN backend ({@link LocalGroup}: two ranks as threads of this JVM, not
 * c10d; the real two-process Gloo run is scripts/gpu-dist-check.sh): steps of tiny-llama on two ranks with grad_accum 1
 * equal the single process with grad_accum 2 (the same global batch of 2 × 2 windows); a save and resume at the same
 * world size continues bit for bit; re-sharding 2 → 1 and 1 → 2 continues like the run it came from.
 *
 * <p>Tolerance: the two ways sum the same micro-batch gradients in a different order (float32), so the loss, L1 and
 * zero fraction agree to 1e-6 relative, the gradient norm to 1e-5 relative, and the weights after two AdamW steps
 * (lr 1e-3, whose first steps move each weight by about lr) to 2e-6 absolute.
 */
class DistributedStepTest extends TorchTestBase {
    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final double LR = 1e-3;
    private static Path dir;
    private static ModelConfig config;
    private static BatchSampler sampler;

    @BeforeAll
    static void fixture() {
        dir = Fixtures.model("tiny-llama");
        config = ModelConfig.read(dir);
        HfCheckpoint ckpt = HfCheckpoint.open(dir);
        sampler = new BatchSampler(Fixtures.validationTokens(ckpt), 16, 2, 7);
    }

    static Recipe recipe(int gradAccum) {
        return Recipe.load(null, List.of("model=" + dir, "batch_size=2", "seq_len=16", "grad_accum=" + gradAccum,
                "threads=2", "optimizer.lr=" + LR, "grad_clip=1.0"));
    }

    /** What a run leaves: the stats of each step and the final weights. */
    record Outcome(List<TrainStep.Stats> stats, Map<String, float[]> weights) {}

    /** The model's weights (float32, requiring gradients), from the fixture or from given values. */
    static Weights load(NDManager m, Map<String, float[]> from) {
        Weights w;
        try (CheckpointFiles files = CheckpointFiles.open(dir)) {
            w = Weights.load(config, files, m);
        }
        if (from != null) {
            Torch.noGrad(() -> {
                w.asMap().forEach((k, p) -> p.set(java.nio.FloatBuffer.wrap(from.get(k))));
                return null;
            });
        }
        w.asMap().values().forEach(p -> p.setRequiresGradient(true));
        return w;
    }

    static Map<String, float[]> values(Map<String, NDArray> params) {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    /** Steps [first, last] in one process with grad_accum 2; the optimizer state from {@code resume} when given. */
    static Outcome single(int first, int last, Map<String, float[]> start, Path resume, Path saveTo) {
        try (NDManager m = base.newSubManager()) {
            Weights w = load(m, start);
            Recipe r = recipe(2);
            AdamW adam = new AdamW(m, w.asMap(), 0.9, 0.95, 1e-8, 0.1);
            if (resume != null) {
                List<Map<String, float[]>> moments = ZeroState.readAll(resume, ShardLayout.of(w.asMap(), 1));
                adam.restore(moments.get(0), moments.get(1));
            }
            TrainStep step = new TrainStep(Engine.getInstance(), new CausalLM(config, w, Activation.RELU, 0), w.asMap(), adam,
                    sampler, r);
            List<TrainStep.Stats> stats = new java.util.ArrayList<>();
            for (int t = first; t <= last; t++) {
                stats.add(step.run(t, 0.01, LR, m));
            }
            if (saveTo != null) {
                adam.save(saveTo.resolve(ZeroState.FULL));
            }
            return new Outcome(stats, values(w.asMap()));
        }
    }

    /** Steps [first, last] on {@code world} stand-in ranks with grad_accum 1; rank 0's outcome (all ranks checked equal). */
    static Outcome ranks(int world, int first, int last, Map<String, float[]> start, Path resume, Path saveTo) {
        return ranks(world, first, last, start, resume, saveTo, ZeroAdamW.DEFAULT_BUCKET);
    }

    /** As above with {@code bucket} elements per collective (the reduce-scatter, all-gather and norm in buckets). */
    static Outcome ranks(int world, int first, int last, Map<String, float[]> start, Path resume, Path saveTo, long bucket) {
        List<Outcome> all = LocalGroup.run(world, TIMEOUT, (Collectives c) -> {
            try (NDManager m = base.newSubManager()) {
                Weights w = load(m, start);
                ZeroAdamW zero = new ZeroAdamW(m, w.asMap(), c, 0.9, 0.95, 1e-8, 0.1, bucket);
                if (resume != null) {
                    zero.load(resume);
                }
                TrainStep step = new TrainStep(Engine.getInstance(), new CausalLM(config, w, Activation.RELU, 0), w.asMap(),
                        null, sampler, recipe(1), null, new DataParallel(c, zero));
                List<TrainStep.Stats> stats = new java.util.ArrayList<>();
                for (int t = first; t <= last; t++) {
                    stats.add(step.run(t, 0.01, LR, m));
                }
                if (saveTo != null) {
                    zero.save(saveTo);
                }
                return new Outcome(stats, values(w.asMap()));
            }
        });
        for (Outcome o : all) {
            o.weights().forEach((k, v) -> assertArrayEquals(all.get(0).weights().get(k), v, k + ": ranks disagree"));
        }
        return all.get(0);
    }

    static void assertSameStep(Outcome expected, Outcome actual) {
        assertEquals(expected.stats().size(), actual.stats().size());
        for (int i = 0; i < expected.stats().size(); i++) {
            TrainStep.Stats e = expected.stats().get(i), a = actual.stats().get(i);
            assertEquals(e.lmLoss(), a.lmLoss(), 1e-6 * e.lmLoss(), "loss of step " + (i + 1));
            assertEquals(e.l1(), a.l1(), 1e-6 * e.l1(), "L1 of step " + (i + 1));
            assertEquals(e.zeroFraction(), a.zeroFraction(), 1e-6, "zero fraction of step " + (i + 1));
            assertEquals(e.gradNorm(), a.gradNorm(), 1e-5 * e.gradNorm(), "gradient norm of step " + (i + 1));
        }
        double worst = 0;
        String where = "";
        for (Map.Entry<String, float[]> w : expected.weights().entrySet()) {
            float[] x = w.getValue(), y = actual.weights().get(w.getKey());
            for (int i = 0; i < x.length; i++) {
                if (Math.abs(x[i] - y[i]) > worst) {
                    worst = Math.abs(x[i] - y[i]);
                    where = w.getKey() + "[" + i + "]";
                }
            }
        }
        assertTrue(worst <= 2e-6, "weights differ by " + worst + " at " + where);
    }

    @Test
    void twoRanksEqualOneProcessWithTheSameGlobalBatch() {
        Outcome one = single(1, 2, null, null, null);
        Outcome two = ranks(2, 1, 2, null, null, null);
        assertSameStep(one, two);
        // and the step really trained: weights moved by about lr
        Map<String, float[]> init = values(load(base, null).asMap());
        float[] before = init.get("model.layers.0.mlp.up_proj.weight"), after = two.weights().get("model.layers.0.mlp.up_proj.weight");
        double moved = 0;
        for (int i = 0; i < before.length; i++) {
            moved = Math.max(moved, Math.abs(before[i] - after[i]));
        }
        assertTrue(moved > 0.5 * LR && moved < 3 * LR, "largest move " + moved);
    }

    @Test
    void smallBucketsGiveTheSameStep() {
        // 1001 elements per collective: buckets of 500 (two ranks) and 333 (three) elements per rank, none of them
        // aligned with a tensor's edge, so every bucket is assembled from pieces of several tensors and the padding
        Outcome one = single(1, 2, null, null, null);
        Outcome whole = ranks(2, 1, 2, null, null, null);
        Outcome two = ranks(2, 1, 2, null, null, null, 1001);
        assertSameStep(one, two);
        for (int i = 0; i < 2; i++) {   // loss and L1 do not depend on the buckets: equal to the bit
            assertEquals(whole.stats().get(i).lmLoss(), two.stats().get(i).lmLoss(), 0.0);
            assertEquals(whole.stats().get(i).l1(), two.stats().get(i).l1(), 0.0);
        }
        // three ranks (a global batch of three): small buckets against one bucket
        assertSameStep(ranks(3, 1, 2, null, null, null), ranks(3, 1, 2, null, null, null, 1001));
    }

    @Test
    void chunkedSquareSumMatchesTheWholeOne() {
        try (NDManager m = base.newSubManager()) {
            float[] x = new float[1000];
            double expected = 0;
            for (int i = 0; i < x.length; i++) {
                x[i] = (i % 17 - 8) * 0.125f;      // exact in float32 and float64
                expected += (double) x[i] * x[i];
            }
            ai.djl.ndarray.NDArray a = dev.prosparse.util.Torch.fromFloats(m, x, new ai.djl.ndarray.types.Shape(x.length));
            assertEquals(expected, ZeroAdamW.squareSum(a, 7).getDouble(), 0.0);
            assertEquals(expected, ZeroAdamW.squareSum(a, 1000).getDouble(), 0.0);
        }
    }

    @Test
    void resumeAtTheSameWorldSizeIsExact(@TempDir Path tmp) {
        Outcome straight = ranks(2, 1, 2, null, null, null);
        Outcome first = ranks(2, 1, 1, null, null, tmp);
        assertEquals(2, ZeroState.savedWorld(tmp));
        Outcome resumed = ranks(2, 2, 2, first.weights(), tmp, null);
        straight.weights().forEach((k, v) -> assertArrayEquals(v, resumed.weights().get(k), k));
        assertEquals(straight.stats().get(1).lmLoss(), resumed.stats().get(0).lmLoss());
    }

    @Test
    void reshardTwoToOne(@TempDir Path tmp) {
        Outcome straight = ranks(2, 1, 2, null, null, null);
        Outcome first = ranks(2, 1, 1, null, null, tmp);
        Outcome resumed = single(2, 2, first.weights(), tmp, null);
        assertSameStep(new Outcome(straight.stats().subList(1, 2), straight.weights()), resumed);
    }

    @Test
    void reshardOneToTwo(@TempDir Path tmp) {
        Outcome straight = single(1, 2, null, null, null);
        Outcome first = single(1, 1, null, null, tmp);
        assertEquals(0, ZeroState.savedWorld(tmp));
        Outcome resumed = ranks(2, 2, 2, first.weights(), tmp, null);
        assertSameStep(new Outcome(straight.stats().subList(1, 2), straight.weights()), resumed);
    }

    @Test
    void shardsCutTheFlatVectorAndReadBackAtAnyWorldSize(@TempDir Path tmp) {
        // three ranks of a vector of 10 elements: shards of 4, 4, 2 real elements (+2 padding), read back in pieces
        Map<String, NDArray> p = new LinkedHashMap<>();
        p.put("a", base.zeros(new Shape(2, 3)));
        p.put("b", base.zeros(new Shape(4)));
        ShardLayout l3 = ShardLayout.of(p, 3);
        assertEquals(10, l3.total());
        assertEquals(4, l3.shardSize());
        assertEquals(8, l3.begin(2));
        assertEquals(10, l3.end(2));
        float[] avg = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
        for (int r = 0; r < 3; r++) {
            int b = (int) l3.begin(r), e = (int) l3.end(r);
            float[] a = java.util.Arrays.copyOfRange(avg, b, e), sq = new float[e - b];
            for (int i = 0; i < sq.length; i++) {
                sq[i] = a[i] * a[i];
            }
            dev.prosparse.io.SafetensorsWriter.write(tmp.resolve(ZeroState.shardName(r, 3)), Map.of("format", "pt",
                    "layout_sha256", l3.fingerprint()), List.of(
                            dev.prosparse.io.SafetensorsWriter.TensorSource.ofFloats("exp_avg", dev.prosparse.io.DType.F32, new long[] {e - b}, a),
                            dev.prosparse.io.SafetensorsWriter.TensorSource.ofFloats("exp_avg_sq", dev.prosparse.io.DType.F32, new long[] {e - b}, sq)));
        }
        float[][] mid = ZeroState.readRange(tmp, l3.withWorld(2), 3, 9);   // crosses all three shards
        assertArrayEquals(new float[] {3, 4, 5, 6, 7, 8}, mid[0]);
        assertArrayEquals(new float[] {9, 16, 25, 36, 49, 64}, mid[1]);
        List<Map<String, float[]>> all = ZeroState.readAll(tmp, l3.withWorld(1));
        assertArrayEquals(new float[] {6, 7, 8, 9}, all.get(0).get("b"));
    }

    @Test
    void incompleteSaveIsRefused(@TempDir Path tmp) throws Exception {
        java.nio.file.Files.writeString(tmp.resolve(ZeroState.shardName(1, 2)), "x");
        dev.prosparse.ProsparseException e = org.junit.jupiter.api.Assertions.assertThrows(
                dev.prosparse.ProsparseException.class, () -> ZeroState.savedWorld(tmp));
        assertTrue(e.getMessage().contains("lacks " + ZeroState.shardName(0, 2)), e.getMessage());
    }
}
