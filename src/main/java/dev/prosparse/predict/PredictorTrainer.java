package dev.prosparse.predict;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.prosparse.optim.AdamW;
import dev.prosparse.util.Torch;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Trains one layer's predictor with weighted binary cross-entropy on logits s against 1[x1 ≠ 0]:
 * loss = mean(w₊·y·softplus(−s) + (1 − y)·softplus(s)), w₊ = #negatives / #positives of the training rows (the
 * imbalance of a sparse layer), AdamW, minibatches of shuffled rows.
 */
public final class PredictorTrainer {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PredictorTrainer.class);

    /**
     * Hyper-parameters.
     *
     * @param pairs where the pairs live while training ({@link PairStore}); null: float16 tensors on a GPU, the host
     *              arrays on the CPU
     */
    public record Settings(int rank, int epochs, int batch, double lr, double weightDecay, long seed, PairStore pairs) {
        public Settings(int rank, int epochs, int batch, double lr, double weightDecay, long seed) {
            this(rank, epochs, batch, lr, weightDecay, seed, null);
        }
    }

    private PredictorTrainer() {}

    public static Predictor train(LayerPairs data, Settings s, NDManager root) {
        int e = data.hidden(), n = data.intermediate(), r = s.rank();
        SplittableRandom rnd = new SplittableRandom(s.seed());
        long pos = data.positives();
        long neg = (long) data.rows() * n - pos;
        double posWeight = pos == 0 ? 1.0 : Math.max(1.0, (double) neg / pos);
        try (NDManager m = root.newSubManager()) {
            NDArray fc1 = Torch.fromFloats(m, uniform(rnd, r * e, 1 / Math.sqrt(e)), new Shape(r, e));
            NDArray fc2 = Torch.fromFloats(m, uniform(rnd, n * r, 1 / Math.sqrt(r)), new Shape(n, r));
            Map<String, NDArray> params = new LinkedHashMap<>();
            params.put("fc1", fc1);
            params.put("fc2", fc2);
            params.values().forEach(p -> p.setRequiresGradient(true));
            Engine engine = Engine.getEngine("PyTorch");
            int[] order = new int[data.rows()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            int stepsPerEpoch = (data.rows() + s.batch() - 1) / s.batch();
            int total = stepsPerEpoch * s.epochs(), t = 0;
            // tensor stores upload the layer's pairs once and gather batches there; HOST builds each batch here
            PairStore store = s.pairs() != null ? s.pairs() : PairStore.resolve("auto", m.getDevice().isGpu(), "--pairs-dtype");
            try (AdamW opt = new AdamW(m, params, 0.9, 0.999, 1e-8, s.weightDecay());
                    DevicePairs onDevice = store == PairStore.HOST ? null : new DevicePairs(data, store, m)) {
                if (onDevice != null && onDevice.store() != store) {
                    LOG.warn(String.format(java.util.Locale.ROOT, "an |x| of %.4g passes float16's largest value %.0f: this"
                            + " layer's pairs are kept in float32 on the device", DevicePairs.maxAbs(data.x()),
                            PairStore.FLOAT16_MAX));
                }
                for (int ep = 0; ep < s.epochs(); ep++) {
                    long te = System.nanoTime();
                    shuffle(order, rnd);
                    double lossSum = 0;
                    for (int b0 = 0; b0 < order.length; b0 += s.batch()) {
                        int nb = Math.min(s.batch(), order.length - b0);
                        t++;
                        double lr = s.lr() * 0.5 * (1 + Math.cos(Math.PI * (t - 1) / total)); // cosine to 0
                        try (NDManager scope = m.newSubManager()) {
                            NDArray x, y;
                            if (onDevice != null) {
                                long[] idx = new long[nb];
                                for (int i = 0; i < nb; i++) {
                                    idx[i] = order[b0 + i];
                                }
                                NDArray[] xy = onDevice.batch(idx, scope);
                                x = xy[0];
                                y = xy[1];
                            } else {
                                x = Torch.fromFloats(scope, batchX(data, order, b0, nb), new Shape(nb, e));
                                y = Torch.fromFloats(scope, batchY(data, order, b0, nb), new Shape(nb, n));
                            }
                            try (GradientCollector gc = engine.newGradientCollector()) {
                                NDArray z = Predictor.scores(x, fc1, fc2);                             // [B, I]
                                NDArray loss = weightedBce(z, y, posWeight, scope);
                                gc.backward(loss);
                                if (LOG.isDebugEnabled()) {
                                    lossSum += loss.getFloat() * nb;
                                }
                            }
                            opt.step(params, t, lr, 1.0, scope);
                        }
                    }
                    if (LOG.isDebugEnabled()) {
                        LOG.debug(String.format(java.util.Locale.ROOT, "  epoch %d/%d: loss %.4f, %.1f s", ep + 1, s.epochs(),
                                lossSum / order.length, (System.nanoTime() - te) / 1e9));
                    }
                }
            }
            return new Predictor(r, e, n, fc1.toFloatArray(), fc2.toFloatArray());
        }
    }

    private static float[] batchX(LayerPairs data, int[] order, int b0, int nb) {
        int e = data.hidden();
        float[] xb = new float[nb * e];
        for (int i = 0; i < nb; i++) {
            System.arraycopy(data.x(), order[b0 + i] * e, xb, i * e, e);
        }
        return xb;
    }

    private static float[] batchY(LayerPairs data, int[] order, int b0, int nb) {
        int n = data.intermediate();
        float[] yb = new float[nb * n];
        for (int i = 0; i < nb; i++) {
            long base = (long) order[b0 + i] * n;
            for (int j = 0; j < n; j++) {
                yb[i * n + j] = data.labels().get(base + j) ? 1f : 0f;
            }
        }
        return yb;
    }

    /** mean(w₊·y·softplus(−z) + (1 − y)·softplus(z)); softplus(z) = relu(z) + log(1 + exp(−|z|)). Scalar. */
    static NDArray weightedBce(NDArray z, NDArray y, double posWeight, NDManager scope) {
        NDArray one = Torch.scalar(scope, 1);
        NDArray tail = z.abs().neg().exp().add(one).log();                                 // log(1 + e^−|z|)
        NDArray spPos = z.getNDArrayInternal().relu().add(tail);                           // softplus(z)
        NDArray spNeg = z.neg().getNDArrayInternal().relu().add(tail);                     // softplus(−z)
        NDArray lossPos = y.mul(spNeg).mul(Torch.scalar(scope, posWeight));
        NDArray lossNeg = one.sub(y).mul(spPos);
        return lossPos.add(lossNeg).mean();
    }

    private static float[] uniform(SplittableRandom rnd, int size, double bound) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        }
        return a;
    }

    private static void shuffle(int[] a, SplittableRandom rnd) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int tmp = a[i];
            a[i] = a[j];
            a[j] = tmp;
        }
    }
}
