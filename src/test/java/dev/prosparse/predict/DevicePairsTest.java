package dev.prosparse.predict;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.prosparse.ProsparseException;
import dev.prosparse.TorchTestBase;
import dev.prosparse.io.FloatCodec;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The tensor pair store of predictors train (the GPU's code path, run here on the CPU): gathered batches are the rows
 * asked for, leave nothing behind in the store, train exactly the predictor the host path trains, and float16 storage
 * rounds x to half precision (by Java's own conversion) while the batches come out float32.
 */
class DevicePairsTest extends TorchTestBase {
    private static final int ROWS = 300, E = 16, I = 40;

    /** x ~ N(0, 1); label j = 1[(A·x)_j > 0.3] for a fixed random A, so a predictor has something to learn. */
    static LayerPairs pairs(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[I * E], x = new float[ROWS * E];
        for (int k = 0; k < a.length; k++) {
            a[k] = (float) (r.nextDouble() * 2 - 1);
        }
        for (int k = 0; k < x.length; k++) {
            x[k] = (float) (r.nextGaussian());
        }
        BitMask y = new BitMask((long) ROWS * I);
        for (int row = 0; row < ROWS; row++) {
            for (int j = 0; j < I; j++) {
                double s = 0;
                for (int k = 0; k < E; k++) {
                    s += a[j * E + k] * x[row * E + k];
                }
                if (s > 0.3) {
                    y.set((long) row * I + j);
                }
            }
        }
        return new LayerPairs(ROWS, E, I, x, y);
    }

    @Test
    void batchesAreTheRowsAskedForAndLeaveNothingInTheStore() {
        LayerPairs p = pairs(1);
        long[] idx = {5, 0, 299, 5};
        try (DevicePairs d = new DevicePairs(p, PairStore.TENSOR_FLOAT32, base)) {
            int held = d.managedArrays();
            for (int step = 0; step < 10; step++) {
                try (NDManager scope = base.newSubManager()) {
                    NDArray[] xy = d.batch(idx, scope);
                    assertEquals(DataType.FLOAT32, xy[0].getDataType());
                    assertEquals(DataType.FLOAT32, xy[1].getDataType());
                    float[] xb = xy[0].toFloatArray(), yb = xy[1].toFloatArray();
                    for (int b = 0; b < idx.length; b++) {
                        for (int k = 0; k < E; k++) {
                            assertEquals(p.x()[(int) idx[b] * E + k], xb[b * E + k], 0f);
                        }
                        for (int j = 0; j < I; j++) {
                            assertEquals(p.labels().get(idx[b] * I + j) ? 1f : 0f, yb[b * I + j], 0f);
                        }
                    }
                }
            }
            assertEquals(held, d.managedArrays(), "arrays left in the store's manager after 10 closed batch scopes");
        }
    }

    @Test
    void float32TensorsTrainTheSamePredictorAsTheHostPath() {
        LayerPairs p = pairs(2);
        Predictor host = PredictorTrainer.train(p, new PredictorTrainer.Settings(8, 3, 64, 0.01, 0.01, 7, PairStore.HOST), base);
        Predictor tensors = PredictorTrainer.train(p, new PredictorTrainer.Settings(8, 3, 64, 0.01, 0.01, 7,
                PairStore.TENSOR_FLOAT32), base);
        assertArrayEquals(host.fc1(), tensors.fc1(), 1e-6f);
        assertArrayEquals(host.fc2(), tensors.fc2(), 1e-6f);
        float moved = 0;                       // and training did move the weights (the comparison is not of two inits)
        Predictor init = PredictorTrainer.train(p, new PredictorTrainer.Settings(8, 1, 64, 1e-12, 0, 7, PairStore.HOST), base);
        for (int k = 0; k < host.fc2().length; k++) {
            moved = Math.max(moved, Math.abs(host.fc2()[k] - init.fc2()[k]));
        }
        assertTrue(moved > 1e-3, "training changed fc2 by at most " + moved);
    }

    @Test
    void float16StorageRoundsXToHalfAndBatchesComeOutFloat32() {
        LayerPairs p = pairs(3);
        long[] idx = {7, 123};
        try (DevicePairs d = new DevicePairs(p, PairStore.TENSOR_FLOAT16, base); NDManager scope = base.newSubManager()) {
            assertSame(PairStore.TENSOR_FLOAT16, d.store());
            NDArray[] xy = d.batch(idx, scope);
            assertEquals(DataType.FLOAT32, xy[0].getDataType());
            float[] xb = xy[0].toFloatArray();
            for (int b = 0; b < idx.length; b++) {
                for (int k = 0; k < E; k++) {
                    float v = p.x()[(int) idx[b] * E + k];
                    assertEquals(FloatCodec.f16ToFloat(FloatCodec.floatToF16(v)), xb[b * E + k], 0f, "x[" + idx[b] + "," + k + "]");
                }
            }
        }
    }

    @Test
    void float16FallsBackToFloat32WhenAnXPassesItsRange() {
        LayerPairs p = pairs(4);
        p.x()[10 * E + 3] = 70_000f;                            // > 65504: would be stored as infinity
        try (DevicePairs d = new DevicePairs(p, PairStore.TENSOR_FLOAT16, base); NDManager scope = base.newSubManager()) {
            assertSame(PairStore.TENSOR_FLOAT32, d.store());
            assertEquals(70_000f, d.batch(new long[] {10}, scope)[0].toFloatArray()[3], 0f);
        }
    }

    @Test
    void pairsDtypeValues() {
        assertSame(PairStore.TENSOR_FLOAT16, PairStore.resolve("auto", true, "--pairs-dtype"));
        assertSame(PairStore.HOST, PairStore.resolve("auto", false, "--pairs-dtype"));
        assertSame(PairStore.TENSOR_FLOAT32, PairStore.resolve("float32", true, "--pairs-dtype"));
        assertSame(PairStore.HOST, PairStore.resolve("float32", false, "--pairs-dtype"));
        assertSame(PairStore.TENSOR_FLOAT16, PairStore.resolve("float16", false, "--pairs-dtype"));
        ProsparseException ex = assertThrows(ProsparseException.class, () -> PairStore.resolve("bf16", true, "--pairs-dtype"));
        assertTrue(ex.getMessage().contains("--pairs-dtype bf16") && ex.getMessage().contains("float16"), ex.getMessage());
    }
}
