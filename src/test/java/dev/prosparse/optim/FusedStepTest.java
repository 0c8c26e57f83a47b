package dev.prosparse.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.TorchTestBase;
import dev.prosparse.util.Torch;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The fused step's kernels ({@link OptimizerModules}) against the per-tensor AdamW on the CPU, with float32 and with
 * float16 gradients. On the CPU libtorch runs each {@code _foreach_*} op as a loop of the same per-tensor op, so the
 * update is bit-identical; the gradient norm sums per-tensor norms in another order, so it agrees to float32 rounding.
 */
class FusedStepTest extends TorchTestBase {
    private static final long[][] SHAPES = {{7, 5}, {13}, {3, 4, 6}, {1}, {64, 3}, {1000, 1000}};

    private static Map<String, NDArray> randoms(NDManager m, long seed, double scale) {
        Random r = new Random(seed);
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (int i = 0; i < SHAPES.length; i++) {
            Shape s = new Shape(SHAPES[i]);
            float[] a = new float[(int) s.size()];
            for (int j = 0; j < a.length; j++) {
                a[j] = (float) (r.nextGaussian() * scale);
            }
            out.put("t" + i, Torch.fromFloats(m, a, s));
        }
        return out;
    }

    private static Map<String, float[]> floats(Map<String, NDArray> arrays) {
        Map<String, float[]> out = new LinkedHashMap<>();
        arrays.forEach((k, v) -> out.put(k, v.toType(DataType.FLOAT32, false).toFloatArray()));
        return out;
    }

    /** Three steps of both kinds from the same start: the parameters stay bit-identical. */
    private static void sameUpdates(DataType gradType, double weightDecay) {
        try (NDManager m = base.newSubManager()) {
            Map<String, NDArray> p1 = randoms(m, 1, 1.0), p2 = randoms(m, 1, 1.0);
            try (AdamW a1 = new AdamW(m, p1, 0.9, 0.95, 1e-8, weightDecay);
                    AdamW a2 = new AdamW(m, p2, 0.9, 0.95, 1e-8, weightDecay)) {
                for (int t = 1; t <= 3; t++) {
                    Map<String, NDArray> g1 = new LinkedHashMap<>(), g2 = new LinkedHashMap<>();
                    randoms(m, 100 + t, 1000.0).forEach((k, v) -> {
                        g1.put(k, v.toType(gradType, true));
                        g2.put(k, v.toType(gradType, true));
                    });
                    a1.step(p1, g1, t, 1e-3, 0.5 / 1024, m);
                    a2.fusedStep(p2, g2, t, 1e-3, 0.5 / 1024);
                    for (String k : p1.keySet()) {
                        assertArrayEquals(p1.get(k).toFloatArray(), p2.get(k).toFloatArray(), 0f, k + " at step " + t);
                        assertTrue(g2.get(k).eq(0).all().getBoolean(), "fused step zeroes gradient " + k);
                    }
                }
            }
        }
    }

    @Test
    void fusedUpdateEqualsPerTensorWithFloat32Gradients() {
        sameUpdates(DataType.FLOAT32, 0.1);
    }

    @Test
    void fusedUpdateEqualsPerTensorWithFloat16Gradients() {
        sameUpdates(DataType.FLOAT16, 0.0);
    }

    /**
     * The one-pass update ({@code _fused_adamw_}) against a double-precision evaluation of the documented formula
     * (class AdamW), three steps from the same start, with float32 and float16 gradients: after step t every parameter
     * is within 2t float32 ulps of itself (each step rounds p twice: the decay and the update) plus 2e-6 of lr (the
     * update m/(√v + ε) carries ~16 float32 roundings of relative error; the ε rescaling is exact in real arithmetic
     * only). Measured on this CPU: at most 5e-7 of lr beyond the 2t ulps.
     */
    private static void onePassMatchesFormula(DataType gradType, double weightDecay) {
        double lr = 1e-3, b1 = 0.9, b2 = 0.95, eps = 1e-8, gs = 0.5 / 1024;
        try (NDManager m = base.newSubManager()) {
            Map<String, NDArray> p = randoms(m, 1, 1.0);
            Map<String, double[]> ref = new LinkedHashMap<>(), mm = new LinkedHashMap<>(), vv = new LinkedHashMap<>();
            floats(p).forEach((k, v) -> {
                double[] d = new double[v.length];
                for (int i = 0; i < v.length; i++) {
                    d[i] = v[i];
                }
                ref.put(k, d);
                mm.put(k, new double[v.length]);
                vv.put(k, new double[v.length]);
            });
            try (AdamW a = new AdamW(m, p, b1, b2, eps, weightDecay)) {
                for (int t = 1; t <= 3; t++) {
                    Map<String, NDArray> g = new LinkedHashMap<>();
                    randoms(m, 100 + t, 1000.0).forEach((k, v) -> g.put(k, v.toType(gradType, true)));
                    Map<String, float[]> gf = floats(g);
                    a.onePassStep(p, g, t, lr, gs);
                    double corr = lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
                    for (String k : p.keySet()) {
                        double[] x = ref.get(k), m1 = mm.get(k), v1 = vv.get(k);
                        float[] gk = gf.get(k), got = p.get(k).toFloatArray();
                        for (int i = 0; i < x.length; i++) {
                            double gi = gk[i] * gs;
                            x[i] -= lr * weightDecay * x[i];
                            m1[i] = b1 * m1[i] + (1 - b1) * gi;
                            v1[i] = b2 * v1[i] + (1 - b2) * gi * gi;
                            x[i] -= corr * m1[i] / (Math.sqrt(v1[i]) + eps);
                            assertEquals(x[i], got[i], 2 * t * Math.ulp((float) x[i]) + 2e-6 * lr, k + "[" + i + "] at step " + t);
                        }
                        assertTrue(g.get(k).eq(0).all().getBoolean(), "one-pass step zeroes gradient " + k);
                    }
                }
            }
        }
    }

    @Test
    void onePassUpdateMatchesTheFormulaWithFloat32Gradients() {
        onePassMatchesFormula(DataType.FLOAT32, 0.1);
    }

    @Test
    void onePassUpdateMatchesTheFormulaWithFloat16Gradients() {
        onePassMatchesFormula(DataType.FLOAT16, 0.0);
    }

    @Test
    void fusedNormEqualsPerTensorSumToFloat32Rounding() {
        try (NDManager m = base.newSubManager()) {
            for (DataType type : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
                Map<String, NDArray> g = new LinkedHashMap<>();
                randoms(m, 7, 300.0).forEach((k, v) -> g.put(k, v.toType(type, true)));
                double perTensor = AdamW.squareSum(g.values(), m).getFloat();
                double fused = AdamW.fusedSquareSum(g.values(), m).getFloat();
                // hand check of the per-tensor sum in double precision
                double exact = 0;
                for (float[] a : floats(g).values()) {
                    for (float x : a) {
                        exact += (double) x * x;
                    }
                }
                assertEquals(exact, perTensor, 1e-6 * exact, type + " per-tensor");
                assertEquals(exact, fused, 1e-6 * exact, type + " fused");
            }
        }
    }

    @Test
    void fusedNormIsNotFiniteWhenAGradientOverflows() {
        try (NDManager m = base.newSubManager()) {
            Map<String, NDArray> g = new LinkedHashMap<>();
            randoms(m, 7, 1.0).forEach((k, v) -> g.put(k, v.toType(DataType.FLOAT16, true)));
            g.put("inf", Torch.fromFloats(m, new float[] {1f, Float.POSITIVE_INFINITY}, new Shape(2)).toType(DataType.FLOAT16, true));
            assertTrue(Float.isInfinite(AdamW.fusedSquareSum(g.values(), m).getFloat()));
            g.put("inf", Torch.fromFloats(m, new float[] {1f, Float.NaN}, new Shape(2)).toType(DataType.FLOAT16, true));
            assertTrue(Float.isNaN(AdamW.fusedSquareSum(g.values(), m).getFloat()));
        }
    }
}
