package dev.prosparse.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import dev.prosparse.util.Torch;

/**
 * The statistics that must not be computed in float16 (fp16-mixed, docs/gpu.md), done on the autograd graph. DJL's
 * {@code toType} is not recorded by autograd, so the casts here are ops that are: {@link #of} widens by type promotion
 * (x + a float32 zero of shape [1]), {@link #narrow} narrows through {@code cumprod(x, dim, dtype)} over an added axis
 * of size 1 (an exact copy whose backward passes the gradient through). On float32 inputs every helper is exactly the
 * plain op, so the float32 path is unchanged bit for bit.
 */
public final class Fp32 {
    private Fp32() {}

    /** {@code x} as float32 (itself when it already is), differentiable. */
    public static NDArray of(NDArray x) {
        if (x.getDataType() == DataType.FLOAT32) {
            return x;
        }
        return x.add(x.getManager().zeros(new Shape(1), DataType.FLOAT32));
    }

    /** A float32 {@code x} as {@code dtype}, differentiable; meant for small tensors (it is one extra pass). */
    public static NDArray narrow(NDArray x, DataType dtype) {
        if (x.getDataType() == dtype) {
            return x;
        }
        int axis = x.getShape().dimension();
        return JniUtils.cumProd((PtNDArray) x.expandDims(axis), axis, dtype).squeeze(axis);
    }

    /**
     * softmax along {@code axis}. On float16 input libtorch's kernel keeps its max and sum in float32 and rounds only
     * the output, which is what transformers' softmax(dtype=float32).to(float16) produces.
     */
    public static NDArray softmax(NDArray x, int axis) {
        return x.softmax(axis);
    }

    /**
     * x / sqrt(mean(x², −1) + eps) · w over the last axis of x ([B, S, E], or [..., D] for per-head q/k norms). For float16 x the mean of squares and the
     * reciprocal root are computed in float32 (x² of a large activation overflows float16) and the [B, S, 1] factor is
     * rounded to float16 before it scales x (transformers' LlamaRMSNorm normalises in float32, then rounds).
     */
    public static NDArray rmsNorm(NDArray x, NDArray w, double eps) {
        DataType dt = x.getDataType();
        int last = x.getShape().dimension() - 1;
        if (dt == DataType.FLOAT32) {
            NDArray rms = x.square().mean(new int[] {last}, true).add(Torch.scalar(x.getManager(), eps)).sqrt(); // [B, S, 1]
            return x.div(rms).mul(w);
        }
        NDArray ms = of(x).square().mean(new int[] {last}, true);                                            // [B, S, 1] f32
        NDArray inv = Torch.scalar(x.getManager(), 1.0).div(ms.add(Torch.scalar(x.getManager(), eps)).sqrt());
        return x.mul(narrow(inv, dt)).mul(w);                                                              // [B, S, E]
    }
}
