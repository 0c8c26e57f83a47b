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
 * Runs the model over windows of a token stream one layer at a time and yields, per layer, each position's FFN
 * input x (the output of {@link CausalLM#attentionBlock}, before post_attention_layernorm) and the mask
 * 1[x1 ≠ 0] of that layer. Between layers it keeps only the residual stream of every position [rows, E], so the
 * memory is one layer's pairs plus that stream, not every layer's pairs at once (a 7B model has 32 layers).
 */
public final class PairCollector {
    private final CausalLM lm;
    private final long[] ids;                        // [windows, seqLen]
    private final int windows, seqLen, batch, e, inter;
    private final float[] h;                         // [rows, E]: the residual stream entering layer `layer`
    private final NDManager root;
    private int layer;

    private PairCollector(CausalLM lm, long[] ids, int windows, int seqLen, int batch, NDManager root) {
        this.lm = lm;
        this.ids = ids;
        this.windows = windows;
        this.seqLen = seqLen;
        this.batch = batch;
        this.root = root;
        this.e = lm.config().hiddenSize();
        this.inter = lm.config().intermediateSize();
        this.h = new float[Math.multiplyExact(Math.multiplyExact(windows, seqLen), e)];
    }

    /**
     * @param starts window start offsets into the stream; each window gives {@code seqLen} positions (rows, in
     *               window order)
     */
    public static PairCollector start(CausalLM lm, TokenStream stream, long[] starts, int seqLen, int batch, NDManager root) {
        long[] ids = new long[starts.length * seqLen];
        for (int i = 0; i < starts.length; i++) {
            System.arraycopy(stream.window(starts[i], seqLen), 0, ids, i * seqLen, seqLen);
        }
        PairCollector c = new PairCollector(lm, ids, starts.length, seqLen, batch, root);
        c.forEachBatch((in, b0, nb, scope) -> {
            float[] emb = lm.embed(in).toFloatArray();                                  // [B, S, E]
            System.arraycopy(emb, 0, c.h, b0 * seqLen * c.e, emb.length);
        });
        return c;
    }

    /** Every layer's pairs at once (small models and tests). */
    public static List<LayerPairs> collect(CausalLM lm, TokenStream stream, long[] starts, int seqLen, int batch, NDManager root) {
        PairCollector c = start(lm, stream, starts, seqLen, batch, root);
        List<LayerPairs> out = new ArrayList<>();
        while (c.hasNext()) {
            out.add(c.next());
        }
        return out;
    }

    public boolean hasNext() {
        return layer < lm.config().numHiddenLayers();
    }

    /** The next layer's pairs; advances the residual stream through that layer. */
    public LayerPairs next() {
        int l = layer;
        int rows = windows * seqLen;
        float[] x = new float[rows * e];
        BitMask labels = new BitMask((long) rows * inter);
        forEachBatch((in, b0, nb, scope) -> {
            int row0 = b0 * seqLen;
            NDArray hb = Torch.fromFloats(scope, java.util.Arrays.copyOfRange(h, row0 * e, (row0 + nb * seqLen) * e),
                    new Shape(nb, seqLen, e));
            NDArray a = lm.attentionBlock(hb, l, lm.positions(in));                       // [B, S, E]
            List<NDArray> x1 = new ArrayList<>(1);
            NDArray next = lm.ffnBlock(a, l, x1);                                          // [B, S, E]
            float[] av = a.toFloatArray();
            System.arraycopy(av, 0, x, row0 * e, av.length);
            float[] nv = next.toFloatArray();
            System.arraycopy(nv, 0, h, row0 * e, nv.length);
            float[] x1v = x1.get(0).toFloatArray();                                        // [B, S, I]
            long base = (long) row0 * inter;
            for (int k = 0; k < x1v.length; k++) {
                if (x1v[k] != 0f) {
                    labels.set(base + k);
                }
            }
        });
        layer++;
        return new LayerPairs(rows, e, inter, x, labels);
    }

    private interface BatchStep {
        void run(NDArray inputIds, int firstWindow, int windows, NDManager scope);
    }

    private void forEachBatch(BatchStep step) {
        for (int b0 = 0; b0 < windows; b0 += batch) {
            int nb = Math.min(batch, windows - b0);
            long[] bi = java.util.Arrays.copyOfRange(ids, b0 * seqLen, (b0 + nb) * seqLen);
            int first = b0;
            Torch.noGrad(() -> {
                try (NDManager scope = root.newSubManager()) {
                    step.run(Torch.fromLongs(scope, bi, new Shape(nb, seqLen)), first, nb, scope);
                }
                return null;
            });
        }
    }
}
