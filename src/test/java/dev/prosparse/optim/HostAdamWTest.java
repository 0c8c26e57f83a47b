package dev.prosparse.optim;

import dev.prosparse.io.FloatCodec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import dev.prosparse.TorchTestBase;
import dev.prosparse.util.Torch;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The one-pass host AdamW: its memory access (zero-copy views of libtorch tensors), its maths against a
 * double-precision evaluation of the documented formula, and its agreement with libtorch's multi-tensor update and
 * cast; and the offload pipeline against the on-device fused step.
 */
class HostAdamWTest extends TorchTestBase {
    /** Shapes that cross the kernel's range size and include tiny tensors. */
    private static final long[][] SHAPES = {{7, 5}, {1}, {HostAdamW.RANGE + 1000}, {3, 4, 6}, {600, 700}};

    @Test
    void toByteBufferIsAZeroCopyViewOfAContiguousCpuTensor() {
        try (NDManager m = base.newSubManager()) {
            for (DataType t : new DataType[] {DataType.FLOAT32, DataType.FLOAT16}) {
                NDArray a = m.zeros(new Shape(4, 5), t);
                ByteBuffer b = ((PtNDArray) a).toByteBuffer(true).order(ByteOrder.nativeOrder());
                assertTrue(b.isDirect());
                if (t == DataType.FLOAT32) {
                    b.putFloat(4 * 7, 3.5f);
                } else {
                    b.putShort(2 * 7, FloatCodec.floatToF16(3.5f));
                }
                float[] seen = a.toType(DataType.FLOAT32, true).toFloatArray();
                assertEquals(3.5f, seen[7], t + ": a write through the buffer is a write to the tensor");
                assertEquals(0f, seen[6]);
                a.set(new ai.djl.ndarray.index.NDIndex("1, 2"), 9f);       // and the other way round
                assertEquals(9f, t == DataType.FLOAT32 ? b.getFloat(4 * 7) : FloatCodec.f16ToFloat(b.getShort(2 * 7)));
            }
        }
    }

    /** A tensor over the piece size is viewed as consecutive pieces of its own memory (here 1000 elements a piece). */
    @Test
    void largeTensorsAreViewedAsPiecesOfTheirOwnMemory() {
        try (NDManager m = base.newSubManager()) {
            NDArray a = m.zeros(new Shape(50, 50), DataType.FLOAT32);    // 2500 elements: pieces of 1000, 1000, 500
            List<ByteBuffer> pieces = HostViews.of(a, m, 1000);
            assertEquals(3, pieces.size());
            assertEquals(List.of(4000, 4000, 2000), pieces.stream().map(ByteBuffer::capacity).toList());
            int k = 0;
            for (ByteBuffer b : pieces) {
                for (int i = 0; i < b.capacity() / 4; i++) {
                    b.putFloat(4 * i, k++);
                }
            }
            float[] seen = a.toFloatArray();
            for (int i = 0; i < seen.length; i++) {
                assertEquals(i, seen[i], 0f, "element " + i + " written through its piece");
            }
        }
    }

    @Test
    void hostViewsRefuseATensorThatIsNotContiguous() {
        try (NDManager m = base.newSubManager()) {
            NDArray t = m.zeros(new Shape(3, 4), DataType.FLOAT32).transpose();
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> HostViews.of(t, m));
            assertTrue(e.getMessage().contains("contiguous"), e.getMessage());
        }
    }

    private static float[] gaussian(Random r, int n, double scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) (r.nextGaussian() * scale);
        }
        return a;
    }

    private static ByteBuffer direct(float[] a) {
        ByteBuffer b = ByteBuffer.allocateDirect(a.length * 4).order(ByteOrder.nativeOrder());
        b.asFloatBuffer().put(a);
        return b;
    }

    private static ByteBuffer directHalf(float[] a) {
        ByteBuffer b = ByteBuffer.allocateDirect(a.length * 2).order(ByteOrder.nativeOrder());
        for (int i = 0; i < a.length; i++) {
            b.putShort(2 * i, FloatCodec.floatToF16(a[i]));
        }
        return b;
    }

    private static float ulp(double... xs) {
        double m = 0;
        for (double x : xs) {
            m = Math.max(m, Math.abs(x));
        }
        return Math.ulp((float) m);
    }

    /**
     * Several steps on random data, float16 and float32 gradients, weight decay on and off: every weight and moment
     * within a few float32 ulps (of the largest term of its formula) of the formula evaluated in double precision from
     * the same inputs, and the compute weight written over the gradient exactly the float16 (or float32) rounding of
     * the new weight.
     */
    @Test
    void kernelMatchesTheFormulaInDoublePrecision() {
        int n = 3 * HostAdamW.RANGE + 17;
        try (HostAdamW k = new HostAdamW(2)) {
            for (boolean halfGrad : new boolean[] {true, false}) {
                for (double wd : new double[] {0.0, 0.1}) {
                    for (int t : new int[] {1, 2, 10, 1000}) {
                        Random r = new Random(31 * t + (halfGrad ? 1 : 0) + (wd > 0 ? 2 : 0));
                        float[] p = gaussian(r, n, 0.05), m = gaussian(r, n, 1e-3), v = gaussian(r, n, 1e-3),
                                g = gaussian(r, n, 300);
                        for (int i = 0; i < n; i++) {
                            v[i] = v[i] * v[i];
                            if (halfGrad) {
                                g[i] = FloatCodec.f16ToFloat(FloatCodec.floatToF16(g[i]));   // the values a float16 gradient holds
                            }
                        }
                        g[0] = 0f;
                        m[1] = 0f;
                        v[1] = 0f;                                           // a first step: √v + ε = ε
                        double[] h = hyper(t, 1e-3, wd, 1.0 / 1024);
                        ByteBuffer pb = direct(p), mb = direct(m), vb = direct(v), gb = halfGrad ? directHalf(g) : direct(g);
                        k.update(List.of(new HostAdamW.Slot(pb, mb, vb, gb, halfGrad)), HostAdamW.Hyper.of(h));
                        float worstP = 0, worstM = 0, worstV = 0;
                        for (int i = 0; i < n; i++) {
                            double w = p[i];
                            if (wd != 0) {
                                w -= w * h[0] * h[1];
                            }
                            double gi = g[i] * h[2];
                            double mi = h[3] * m[i] + h[4] * gi, vi = h[5] * v[i] + h[6] * gi * gi;
                            double upd = h[7] * mi / (Math.sqrt(vi) + h[8]);
                            double wNew = w - upd;
                            float op = pb.getFloat(4 * i), om = mb.getFloat(4 * i), ov = vb.getFloat(4 * i);
                            // m's own rounding (≤ 2 ulps of its larger term) reaches the weight scaled by lrc / (√v + ε):
                            // large relative to m itself where its two terms cancel
                            double fromM = 2 * ulp(h[3] * m[i], h[4] * gi) * h[7] / (Math.sqrt(vi) + h[8]);
                            worstP = Math.max(worstP, (float) ((Math.abs(op - wNew) - fromM) / ulp(p[i], upd)));
                            worstM = Math.max(worstM, (float) (Math.abs(om - mi) / ulp(h[3] * m[i], h[4] * gi)));
                            worstV = Math.max(worstV, (float) (Math.abs(ov - vi) / ulp(h[5] * v[i], h[6] * gi * gi)));
                            if (halfGrad) {
                                assertEquals(FloatCodec.floatToF16(op), gb.getShort(2 * i), "compute weight " + i);
                            } else {
                                assertEquals(op, gb.getFloat(4 * i), 0f, "compute weight " + i);
                            }
                        }
                        String at = (halfGrad ? "fp16" : "fp32") + " grads, wd " + wd + ", t " + t;
                        // bounds from the roundings of each line (HostAdamW's javadoc): apart from m's error, the update's
                        // relative error is at most about 7.5 roundings, i.e. 7.5 ulps of it, plus the subtraction's half
                        assertTrue(worstP <= 8, at + ": weight off by " + worstP + " ulp");
                        assertTrue(worstM <= 2, at + ": m off by " + worstM + " ulp");
                        assertTrue(worstV <= 3, at + ": v off by " + worstV + " ulp");
                    }
                }
            }
        }
    }

    /** h of {@link OptimizerModules} for β = (0.9, 0.95), ε = 1e-8, as AdamW computes it. */
    private static double[] hyper(int t, double lr, double wd, double gradScale) {
        float b1 = 0.9f, b2 = 0.95f;
        float lrc = (float) (lr * Math.sqrt(1 - Math.pow(0.95, t)) / (1 - Math.pow(0.9, t)));
        return new double[] {(float) lr, (float) wd, (float) gradScale, b1, 1f - b1, b2, 1f - b2, lrc, 1e-8f};
    }

    private static Map<String, NDArray> randoms(NDManager m, long seed, double scale) {
        Random r = new Random(seed);
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (int i = 0; i < SHAPES.length; i++) {
            Shape s = new Shape(SHAPES[i]);
            out.put("t" + i, Torch.fromFloats(m, gaussian(r, (int) s.size(), scale), s));
        }
        return out;
    }

    /**
     * Three steps of the offloaded update (host = device here: tensors of one memory, small chunks so that the pipeline
     * has several in flight) against libtorch's multi-tensor update on the same data. The moments agree within one ulp
     * (bit for bit on x86-64 with libtorch 2.7.1: both use fused multiply-adds); the weights within two ulps of the
     * larger of the weight and its change, per step so far, because libtorch's CPU square
     * root is not correctly rounded and ours is. The compute copies equal libtorch's cast of the new weights bit for
     * bit, and the gradients are zeroed.
     */
    @Test
    void offloadStepMatchesTheFusedStepAndRefreshesTheCopies() {
        offloadAgainstFused(OffloadPipeline.HostKernel.JAVA);
    }

    /** The same with libtorch's one-pass CPU update as the host kernel (-Dprosparse.offload.kernel=torch). */
    @Test
    void offloadStepWithLibtorchsHostKernelMatchesTheFusedStep() {
        offloadAgainstFused(OffloadPipeline.HostKernel.TORCH);
    }

    private static void offloadAgainstFused(OffloadPipeline.HostKernel kernel) {
        // the Java kernel is held to ulps per element; libtorch's one-pass kernel divides by the inverse scale where the
        // multi-tensor module multiplies and groups the products its own way, so where m's two terms cancel it differs
        // by many ulps of m: it is held to 1e-6 relative L2 per tensor instead
        boolean java = kernel == OffloadPipeline.HostKernel.JAVA;
        for (DataType gradType : new DataType[] {DataType.FLOAT16, DataType.FLOAT32}) {
            try (NDManager m = base.newSubManager()) {
                Map<String, NDArray> p1 = randoms(m, 1, 0.05), p2 = randoms(m, 1, 0.05);
                Map<String, NDArray> copies = new LinkedHashMap<>();
                p2.forEach((k, v) -> copies.put(k, v.toType(gradType, false).duplicate()));
                try (AdamW a1 = new AdamW(m, p1, 0.9, 0.95, 1e-8, 0.1); AdamW a2 = new AdamW(m, p2, 0.9, 0.95, 1e-8, 0.1)) {
                    a2.chunkElements(50_000);
                    a2.hostKernel(kernel);
                    Map<String, float[]> scale = new LinkedHashMap<>();   // per weight: the largest |p| or change so far
                    for (int t = 1; t <= 3; t++) {
                        Map<String, NDArray> g1 = new LinkedHashMap<>(), g2 = new LinkedHashMap<>();
                        randoms(m, 100 + t, 300.0).forEach((k, v) -> {
                            g1.put(k, v.toType(gradType, false).duplicate());   // toType(same, true) is no copy
                            g2.put(k, v.toType(gradType, false).duplicate());
                        });
                        Map<String, float[]> before = new LinkedHashMap<>();
                        p1.forEach((k, v) -> before.put(k, v.toFloatArray()));
                        a1.fusedStep(p1, g1, t, 1e-3, 0.5 / 1024);
                        a2.offloadStep(p2, g2, copies, t, 1e-3, 0.5 / 1024, 2, m);
                        for (String k : p1.keySet()) {
                            float[] want = p1.get(k).toFloatArray(), got = p2.get(k).toFloatArray(), was = before.get(k);
                            float[] sc = scale.computeIfAbsent(k, x -> new float[want.length]);
                            float[][] m1 = a1.moments(k), m2 = a2.moments(k);
                            if (java) {
                                for (int i = 0; i < want.length; i++) {   // two ulps of the larger of weight and update, per step
                                    sc[i] = Math.max(sc[i], Math.max(Math.abs(want[i]), Math.abs(want[i] - was[i])));
                                    assertEquals(want[i], got[i], 2 * t * Math.ulp(sc[i]), k + "[" + i + "] at step " + t);
                                }
                                for (int j = 0; j < 2; j++) {
                                    for (int i = 0; i < m1[j].length; i++) {
                                        assertEquals(m1[j][i], m2[j][i], Math.ulp(m1[j][i]), k + (j == 0 ? " m[" : " v[") + i + "]");
                                    }
                                }
                            } else {
                                assertTrue(relativeL2(want, got) <= 1e-6, k + " weights at step " + t);
                                assertTrue(relativeL2(m1[0], m2[0]) <= 1e-6, k + " m at step " + t);
                                assertTrue(relativeL2(m1[1], m2[1]) <= 1e-6, k + " v at step " + t);
                            }
                            assertArrayEquals(p2.get(k).toType(gradType, true).toType(DataType.FLOAT32, false).toFloatArray(),
                                    copies.get(k).toType(DataType.FLOAT32, true).toFloatArray(), 0f,
                                    k + ": compute copy = the master's cast at step " + t);
                            assertTrue(g2.get(k).eq(0).all().getBoolean(), "gradient " + k + " zeroed");
                        }
                    }
                }
            }
        }
    }

    private static double relativeL2(float[] a, float[] b) {
        double d = 0, n = 0;
        for (int i = 0; i < a.length; i++) {
            d += (double) (a[i] - b[i]) * (a[i] - b[i]);
            n += (double) a[i] * a[i];
        }
        return Math.sqrt(d / n);
    }

    @Test
    void slotsOfUnequalSizesAreRefused() {
        ByteBuffer four = ByteBuffer.allocateDirect(16), eight = ByteBuffer.allocateDirect(32);
        assertThrows(IllegalArgumentException.class, () -> new HostAdamW.Slot(four, four, eight, four, false));
        assertThrows(IllegalArgumentException.class, () -> new HostAdamW(0));
        List<HostAdamW.Slot> none = new ArrayList<>();
        try (HostAdamW k = new HostAdamW(1)) {
            k.update(none, HostAdamW.Hyper.of(hyper(1, 1e-3, 0, 1)));
        }
    }
}
