package dev.prosparse.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.config.RopeParameters;
import dev.prosparse.util.Torch;

/**
 * Rotary embeddings as transformers computes them (float32 inv_freq and angles; rotate_half layout), with
 * the llama3 frequency scaling where the config asks for it (see {@link #invFreq}). Built once per sequence length
 * by {@link CausalLM#positions} and shared by every layer (docs/layer-walk.md).
 */
public final class Rope {
    final NDArray cos; // [S, D]
    final NDArray sin; // [S, D]

    Rope(NDArray cos, NDArray sin) {
        this.cos = cos;
        this.sin = sin;
    }

    static Rope of(NDManager scope, int headDim, RopeParameters rope, int seq) {
        int half = headDim / 2;
        float[] invFreq = invFreq(headDim, rope);
        float[] cos = new float[seq * headDim];
        float[] sin = new float[seq * headDim];
        for (int pos = 0; pos < seq; pos++) {
            for (int i = 0; i < half; i++) {
                float angle = pos * invFreq[i];
                float c = (float) Math.cos(angle), s = (float) Math.sin(angle);
                cos[pos * headDim + i] = c;
                cos[pos * headDim + i + half] = c;
                sin[pos * headDim + i] = s;
                sin[pos * headDim + i + half] = s;
            }
        }
        Shape shape = new Shape(seq, headDim);
        return new Rope(Torch.fromFloats(scope, cos, shape), Torch.fromFloats(scope, sin, shape));
    }

    /**
     * inv_freq [D/2] in float32 as transformers' {@code _compute_default_rope_parameters}: 1 / θ^(2i/D); for
     * llama3 ({@code _compute_llama3_parameters}) each frequency's wavelength λ = 2π / f decides: λ below
     * L / high_freq_factor keeps f, above L / low_freq_factor takes f / factor, and in between
     * (1 − s)·f / factor + s·f with s = (L / λ − low) / (high − low), L = original_max_position_embeddings.
     * Every step rounds to float32 like the torch ops it mirrors.
     */
    static float[] invFreq(int headDim, RopeParameters rope) {
        int half = headDim / 2;
        float[] inv = new float[half];
        for (int i = 0; i < half; i++) {
            float exponent = (float) (2 * i) / headDim;
            inv[i] = (float) (1.0 / (float) Math.pow(rope.theta(), exponent));
        }
        if (rope.type() == RopeParameters.RopeType.LLAMA3) {
            float factor = (float) rope.factor(), low = (float) rope.lowFreqFactor(), high = (float) rope.highFreqFactor();
            float oldLen = rope.originalMaxPositionEmbeddings();
            float lowWavelen = (float) (rope.originalMaxPositionEmbeddings() / rope.lowFreqFactor());
            float highWavelen = (float) (rope.originalMaxPositionEmbeddings() / rope.highFreqFactor());
            float span = (float) (rope.highFreqFactor() - rope.lowFreqFactor());
            for (int i = 0; i < half; i++) {
                float wavelen = (1f / inv[i]) * (float) (2 * Math.PI);      // torch: scalar / t = t.reciprocal() * scalar
                float scaled = wavelen > lowWavelen ? inv[i] / factor : inv[i];
                boolean medium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
                if (medium) {
                    float smooth = ((1f / wavelen) * oldLen - low) / span;
                    scaled = (1f - smooth) * scaled / factor + smooth * scaled;
                }
                inv[i] = scaled;
            }
        }
        return inv;
    }

    /** x·cos + rotate_half(x)·sin, rotate_half([a, b]) = [−b, a] on the last axis. x: [..., S, D]. */
    NDArray apply(NDArray x) {
        int last = x.getShape().dimension() - 1;
        NDList halves = x.split(2, last);
        NDArray rotated = halves.get(1).neg().concat(halves.get(0), last);
        return x.mul(cos).add(rotated.mul(sin));
    }
}
