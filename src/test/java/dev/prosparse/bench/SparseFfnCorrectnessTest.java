package dev.prosparse.bench;

import dev.prosparse.util.RelativeError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.util.Torch;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The benchmark's sparse variants compute the dense FFN (they skip only neurons whose output is exactly zero):
 * checked against a plain double-precision loop, on a small shape, with the masks realised the bench's way.
 */
class SparseFfnCorrectnessTest {

    @Test
    void everyVariantComputesTheFfn() {
        Torch.start(1);
        int e = 64, n = 96, r = 32;
        SplittableRandom rnd = new SplittableRandom(11);
        float[] wg = rand(rnd, n * e), wu = rand(rnd, n * e), wdt = rand(rnd, n * e), fc1 = rand(rnd, r * e), fc2 = rand(rnd, n * r);
        float[] x = rand(rnd, e);
        boolean[] mask = new boolean[n];
        for (int j = 0; j < n; j += 7) {
            mask[j] = true;                                   // 14 of 96 active (85 % sparse)
        }
        FfnBench.alignSigns(wg, e, x, mask);
        float[] hid = new float[r];
        RowKernels.gemvRows(fc1, e, x, 0, r, hid);
        for (int i = 0; i < r; i++) {
            hid[i] = Math.max(hid[i], 0f);
        }
        FfnBench.alignSigns(fc2, r, hid, mask);
        // reference: y = W_down · (relu(W_gate x) ⊙ W_up x), in double
        double[] ref = new double[e];
        int active = 0;
        for (int j = 0; j < n; j++) {
            double g = 0, u = 0;
            for (int c = 0; c < e; c++) {
                g += (double) wg[j * e + c] * x[c];
                u += (double) wu[j * e + c] * x[c];
            }
            assertEquals(mask[j], g > 0, "the gate's support is the drawn mask");
            active += g > 0 ? 1 : 0;
            for (int c = 0; c < e; c++) {
                ref[c] += Math.max(g, 0) * u * wdt[j * e + c];
            }
        }
        assertEquals(14, active);
        float[] refF = new float[e];
        for (int c = 0; c < e; c++) {
            refF[c] = (float) ref[c];
        }
        try (Workers w = new Workers(2); NDManager m = NDManager.newBaseManager()) {
            JavaFfn java = new JavaFfn(w, e, n, r);
            float[] y = new float[e];
            java.dense(x, wg, wu, wdt, y);
            assertTrue(RelativeError.of(y, refF) < 1e-5, "dense row kernels");
            assertEquals(14, java.exact(x, wg, wu, wdt, y));
            assertTrue(RelativeError.of(y, refF) < 1e-5, "exact row kernels");
            assertEquals(14, java.predicted(x, fc1, fc2, r, 0f, wg, wu, wdt, y));
            assertTrue(RelativeError.of(y, refF) < 1e-5, "predictor row kernels");
            float[] gate = new float[n], scores = new float[n];
            RowKernels.gemvRows(wg, e, x, 0, n, gate);
            RowKernels.gemvRows(fc2, r, hid, 0, n, scores);
            assertEquals(14, java.exactGivenGate(gate, x, wu, wdt, y));
            assertTrue(RelativeError.of(y, refF) < 1e-5, "exact, gate given");
            assertEquals(14, java.predictedGivenScores(scores, 0f, x, wg, wu, wdt, y));
            assertTrue(RelativeError.of(y, refF) < 1e-5, "predictor, scores given");
            NDArray tx = Torch.fromFloats(m, x, new Shape(1, e));
            NDArray tg = Torch.fromFloats(m, wg, new Shape(n, e)), tu = Torch.fromFloats(m, wu, new Shape(n, e));
            NDArray tdt = Torch.fromFloats(m, wdt, new Shape(n, e)), td = Torch.fromFloats(m, FfnBench.transpose(wdt, n, e), new Shape(e, n));
            NDArray t1 = Torch.fromFloats(m, fc1, new Shape(r, e)), t2 = Torch.fromFloats(m, fc2, new Shape(n, r));
            NDArray zero = Torch.scalar(m, 0);
            assertTrue(RelativeError.of(TorchFfn.dense(tx, tg, tu, td).toFloatArray(), refF) < 1e-5, "dense libtorch");
            assertTrue(RelativeError.of(TorchFfn.exact(tx, tg, tu, tdt, zero).toFloatArray(), refF) < 1e-5, "exact libtorch");
            assertTrue(RelativeError.of(TorchFfn.predicted(tx, t1, t2, zero, tg, tu, tdt).toFloatArray(), refF) < 1e-5, "predictor libtorch");
        }
    }

    static float[] rand(SplittableRandom rnd, int size) {
        float[] a = new float[size];
        for (int i = 0; i < size; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return a;
    }
}
