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
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The benchmark's sparse variants compute the dense FFN (they skip only neurons whose output is exactly zero):
 * checked against a plain double-precision loop, on small shapes, with the masks realised the bench's way, for both
 * row-kernel implementations and one and two threads. Hidden 64 is a whole number of 512-bit registers; 72 and 40
 * leave a tail (the vector kernels' scalar remainder) and a rank shorter than four registers.
 */
class SparseFfnCorrectnessTest {

    @Test
    void theVectorKernelsAreTheOnesUsedHere() {
        // surefire starts the JVM with --add-modules jdk.incubator.vector (pom.xml): the vector kernels are under test
        assertTrue(RowKernels.best().name().startsWith("vector"), RowKernels.best().name());
    }

    @ParameterizedTest
    @ValueSource(strings = {"vector,2,64,32", "vector,1,64,32", "scalar,2,64,32", "vector,2,72,40", "scalar,1,72,40"})
    void everyVariantComputesTheFfn(String setup) {
        String[] a = setup.split(",");
        RowKernels kernels = a[0].equals("vector") ? VectorRowKernels.create() : new ScalarRowKernels();
        int threads = Integer.parseInt(a[1]);
        Torch.start(1);
        int e = Integer.parseInt(a[2]), n = 96, r = Integer.parseInt(a[3]);
        SplittableRandom rnd = new SplittableRandom(11);
        float[] wg = rand(rnd, n * e), wu = rand(rnd, n * e), wdt = rand(rnd, n * e), fc1 = rand(rnd, r * e), fc2 = rand(rnd, n * r);
        float[] x = rand(rnd, e);
        boolean[] mask = new boolean[n];
        for (int j = 0; j < n; j += 7) {
            mask[j] = true;                                   // 14 of 96 active (85 % sparse)
        }
        FfnBench.alignSigns(wg, e, x, mask);
        float[] hid = new float[r];
        for (int i = 0; i < r; i++) {
            double d = 0;
            for (int c = 0; c < e; c++) {
                d += (double) fc1[i * e + c] * x[c];
            }
            hid[i] = (float) Math.max(d, 0);
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
        try (Workers w = new Workers(threads); NDManager m = NDManager.newBaseManager()) {
            JavaFfn java = new JavaFfn(w, kernels, e, n, r, 4 * e); // chunks of 4 rows: many chunks, shared by the threads
            float[] y = new float[e];
            java.dense(x, wg, wu, wdt, y);
            assertTrue(RelativeError.of(y, refF) < 1e-5, "dense row kernels");
            assertEquals(14, java.exact(x, wg, wu, wdt, y));
            assertTrue(RelativeError.of(y, refF) < 1e-5, "exact row kernels");
            assertEquals(14, java.predicted(x, fc1, fc2, r, 0f, wg, wu, wdt, y));
            assertTrue(RelativeError.of(y, refF) < 1e-5, "predictor row kernels");
            float[] gate = new float[n], scores = new float[n];
            for (int j = 0; j < n; j++) {
                double gd = 0, sd = 0;
                for (int c = 0; c < e; c++) {
                    gd += (double) wg[j * e + c] * x[c];
                }
                for (int i = 0; i < r; i++) {
                    sd += (double) fc2[j * r + i] * hid[i];
                }
                gate[j] = (float) gd;
                scores[j] = (float) sd;
            }
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
