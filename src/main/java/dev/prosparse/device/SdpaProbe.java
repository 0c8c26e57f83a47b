package dev.prosparse.device;

import dev.prosparse.util.RelativeError;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.prosparse.model.FusedAttention;
import dev.prosparse.util.Torch;
import java.util.Locale;

/**
 * Diagnostics for the fused attention ({@code attention: sdpa}, {@link FusedAttention}): runs PyTorch's
 * scaled_dot_product_attention through the TorchScript module prosparse writes, forward and backward on float16
 * [B, H, S, D] inputs, and compares output, gradients and time with the plain attention (matmul, mask, softmax, matmul).
 *
 * <pre>java -cp ... dev.prosparse.device.SdpaProbe [B H S D]</pre>
 */
public final class SdpaProbe {
    private SdpaProbe() {}

    public static void main(String[] args) throws Exception {
        int b = args.length > 0 ? Integer.parseInt(args[0]) : 4, h = args.length > 1 ? Integer.parseInt(args[1]) : 32;
        int s = args.length > 2 ? Integer.parseInt(args[2]) : 1024, d = args.length > 3 ? Integer.parseInt(args[3]) : 64;
        DeviceSetup.select(DeviceSpec.parse("cuda", "device"), 0, "device");
        Engine engine = Engine.getInstance();
        try (NDManager base = Torch.newBaseManager()) {
            FusedAttention sdpa = FusedAttention.get();
            Shape shape = new Shape(b, h, s, d);
            NDArray q = base.randomNormal(shape).toType(DataType.FLOAT16, false);
            NDArray k = base.randomNormal(shape).toType(DataType.FLOAT16, false);
            NDArray v = base.randomNormal(shape).toType(DataType.FLOAT16, false);
            NDArray up = base.randomNormal(shape).toType(DataType.FLOAT16, false);    // upstream gradient
            float[] mask = new float[s * s];
            for (int i = 0; i < s; i++) {
                for (int j = i + 1; j < s; j++) {
                    mask[i * s + j] = Float.NEGATIVE_INFINITY;
                }
            }
            NDArray m = Torch.fromFloats(base, mask, new Shape(s, s)).toType(DataType.FLOAT16, false);
            float[][] fused = run(engine, base, q, k, v, up, sdpa::causal);
            float[][] plain = run(engine, base, q, k, v, up, (x, y, z) -> x.matMul(y.transpose(0, 1, 3, 2))
                    .mul(Torch.scalar(x.getManager(), 1.0 / Math.sqrt(d))).add(m).softmax(3).matMul(z));
            String[] what = {"output", "dq", "dk", "dv"};
            for (int i = 0; i < 4; i++) {
                System.out.printf(Locale.ROOT, "sdpa vs plain %-6s relative L2 difference %.2e%n", what[i], RelativeError.of(fused[i], plain[i]));
            }
            double tf = time(engine, base, q, k, v, up, sdpa::causal);
            double tp = time(engine, base, q, k, v, up, (x, y, z) -> x.matMul(y.transpose(0, 1, 3, 2))
                    .mul(Torch.scalar(x.getManager(), 1.0 / Math.sqrt(d))).add(m).softmax(3).matMul(z));
            System.out.printf(Locale.ROOT, "forward+backward [%d, %d, %d, %d] fp16: TorchScript SDPA %.2f ms, plain %.2f ms (%.1fx)%n",
                    b, h, s, d, tf, tp, tp / tf);
        }
    }

    interface Attn {
        NDArray apply(NDArray q, NDArray k, NDArray v);
    }

    private static float[][] run(Engine engine, NDManager base, NDArray q0, NDArray k0, NDArray v0, NDArray up, Attn f) {
        try (NDManager scope = base.newSubManager()) {
            NDArray q = q0.duplicate(), k = k0.duplicate(), v = v0.duplicate();
            for (NDArray a : new NDArray[] {q, k, v}) {
                a.attach(scope);
                a.setRequiresGradient(true);
            }
            float[] out;
            try (GradientCollector gc = engine.newGradientCollector()) {
                NDArray o = f.apply(q, k, v);
                out = o.toType(DataType.FLOAT32, false).toFloatArray();
                gc.backward(o.mul(up).sum());
            }
            return new float[][] {out, g(q), g(k), g(v)};
        }
    }

    private static float[] g(NDArray x) {
        return x.getGradient().toType(DataType.FLOAT32, false).toFloatArray();
    }

    private static double time(Engine engine, NDManager base, NDArray q, NDArray k, NDArray v, NDArray up, Attn f) {
        for (int i = 0; i < 3; i++) {
            run(engine, base, q, k, v, up, f);
        }
        long t0 = System.nanoTime();
        int n = 10;
        for (int i = 0; i < n; i++) {
            try (NDManager scope = base.newSubManager()) {
                NDArray qq = q.duplicate();
                qq.attach(scope);
                qq.setRequiresGradient(true);
                try (GradientCollector gc = engine.newGradientCollector()) {
                    gc.backward(f.apply(qq, k, v).mul(up).sum());
                }
                qq.getGradient().sum().getFloat();   // one scalar read: waits for the work, moves 2 bytes
            }
        }
        return (System.nanoTime() - t0) / 1e6 / n;
    }

}
