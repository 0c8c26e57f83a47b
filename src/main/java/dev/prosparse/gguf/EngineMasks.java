package dev.prosparse.gguf;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import dev.prosparse.util.Torch;

/**
 * PowerInfer's neuron masks as its CPU kernels compute them (docs/powerinfer.md, "Why the sparse check can differ"):
 * ggml converts the input of every F16 matrix product to F16 before the dot products (accumulated in F32), so the
 * predictor's scores are fc2 · f16(relu(fc1 · f16(x))), and neuron j is computed iff its score ≥ τ. Also counts the
 * decisions that lie within rounding distance of τ — those the engine may take the other way, since its x differs
 * from ours by the F16 rounding of every earlier product.
 */
final class EngineMasks {
    /** The band around τ: 2^-9 of the score's magnitude Σ_k |fc2_jk · h_k| (four F16 half-ulps). */
    static final double BAND = 1.0 / 512;

    long decisions, borderline;

    /**
     * @param x   [B, T, E] the FFN input residual stream
     * @param fc1 [r, E], fc2 [I, r] (F16 values, as read from the file)
     * @return the mask [B, T, I] as float32 0/1
     */
    NDArray mask(NDArray x, NDArray fc1, NDArray fc2, float tau) {
        NDArray x16 = f16(x);
        NDArray h = x16.getNDArrayInternal().linear(x16, fc1, null).singletonOrThrow().getNDArrayInternal().relu(); // [B, T, r]
        NDArray h16 = f16(h);
        NDArray s = h16.getNDArrayInternal().linear(h16, fc2, null).singletonOrThrow();                      // [B, T, I]
        NDArray mag = h16.getNDArrayInternal().linear(h16, fc2.abs(), null).singletonOrThrow();              // Σ|fc2|·h ≥ 0
        NDArray near = s.sub(Torch.scalar(s.getManager(), tau)).abs().lte(mag.mul(Torch.scalar(s.getManager(), BAND)));
        decisions += s.size();
        borderline += near.toType(DataType.INT64, false).sum().getLong();
        return s.gte(Torch.scalar(s.getManager(), tau)).toType(DataType.FLOAT32, false);
    }

    /** Rounded to F16 and back (round to nearest even, as ggml's conversion). */
    static NDArray f16(NDArray a) {
        return a.toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false);
    }
}
