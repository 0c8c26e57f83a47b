package dev.prosparse.predict;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.data.TokenStream;
import dev.prosparse.model.CausalLM;
import dev.prosparse.util.Torch;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the model over windows of a token stream and keeps, per layer, each position's FFN input x (the output
 * of {@link CausalLM#attentionBlock}, before post_attention_layernorm) and the mask 1[x1 ≠ 0] of that layer.
 */
public final class PairCollector {
    private PairCollector() {}

    /**
     * @param starts window start offsets into the stream; each window gives {@code seqLen} positions
     * @return one LayerPairs per layer, rows in window order
     */
    public static List<LayerPairs> collect(CausalLM lm, TokenStream stream, long[] starts, int seqLen, int batch, NDManager root) {
        int layers = lm.config().numHiddenLayers(), e = lm.config().hiddenSize(), inter = lm.config().intermediateSize();
        int rows = starts.length * seqLen;
        List<float[]> xs = new ArrayList<>();
        List<boolean[]> ls = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            xs.add(new float[rows * e]);
            ls.add(new boolean[rows * inter]);
        }
        for (int b0 = 0; b0 < starts.length; b0 += batch) {
            int nb = Math.min(batch, starts.length - b0);
            long[] ids = new long[nb * seqLen];
            for (int i = 0; i < nb; i++) {
                System.arraycopy(stream.window(starts[b0 + i], seqLen), 0, ids, i * seqLen, seqLen);
            }
            int row0 = b0 * seqLen;
            Torch.noGrad(() -> {
                try (NDManager scope = root.newSubManager()) {
                    NDArray in = Torch.fromLongs(scope, ids, new Shape(nb, seqLen));
                    CausalLM.Positions pos = lm.positions(in);
                    NDArray h = lm.embed(in);                                                   // [B, S, E]
                    for (int l = 0; l < layers; l++) {
                        NDArray a = lm.attentionBlock(h, l, pos);                               // [B, S, E]
                        List<NDArray> x1 = new ArrayList<>(1);
                        h = lm.ffnBlock(a, l, x1);
                        float[] av = a.toFloatArray();
                        System.arraycopy(av, 0, xs.get(l), row0 * e, av.length);
                        float[] x1v = x1.get(0).toFloatArray();                                 // [B, S, I]
                        boolean[] lab = ls.get(l);
                        for (int k = 0; k < x1v.length; k++) {
                            lab[row0 * inter + k] = x1v[k] != 0f;
                        }
                    }
                }
                return null;
            });
        }
        List<LayerPairs> out = new ArrayList<>(layers);
        for (int l = 0; l < layers; l++) {
            out.add(new LayerPairs(rows, e, inter, xs.get(l), ls.get(l)));
        }
        return out;
    }
}
