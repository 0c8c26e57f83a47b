package dev.prosparse.predict;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.data.TokenStream;
import dev.prosparse.data.WindowBatch;
import dev.prosparse.data.WindowBatches;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.LayerHooks;
import dev.prosparse.model.LayerWalk;
import dev.prosparse.util.Torch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Runs the model over windows of a token stream one layer at a time and yields, per layer, each position's FFN
 * input x (the output of {@link CausalLM#attentionBlock}, before post_attention_layernorm) and the mask
 * 1[x1 ≠ 0] of that layer. Between layers it keeps only the residual stream of every position [rows, E], so the
 * memory is one layer's pairs plus that stream, not every layer's pairs at once (a 7B model has 32 layers). Each
 * step is a step of the model's layer walk with an observer of the FFN input and x1 (docs/layer-walk.md).
 */
public final class PairCollector {
    private final CausalLM lm;
    private final List<WindowBatch> batches;         // [B, seqLen] ids each
    private final int windows, seqLen, e, inter;
    private final float[] h;                         // [rows, E]: the residual stream entering layer `layer`
    private final NDManager root;
    private int layer;

    private PairCollector(CausalLM lm, List<WindowBatch> batches, int windows, int seqLen, NDManager root) {
        this.lm = lm;
        this.batches = batches;
        this.windows = windows;
        this.seqLen = seqLen;
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
        PairCollector c = new PairCollector(lm, WindowBatches.of(stream, starts, seqLen, batch), starts.length, seqLen, root);
        c.forEachBatch((in, b0, scope) -> {
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

    /** The next layer's pairs; advances the residual stream through that layer (one step of the layer walk). */
    public LayerPairs next() {
        int l = layer;
        int rows = windows * seqLen;
        float[] x = new float[rows * e];
        BitMask labels = new BitMask((long) rows * inter);
        forEachBatch((in, b0, scope) -> {
            int row0 = b0 * seqLen;
            int nb = (int) in.getShape().get(0);
            NDArray hb = Torch.fromFloats(scope, Arrays.copyOfRange(h, row0 * e, (row0 + nb * seqLen) * e),
                    new Shape(nb, seqLen, e));                                             // [B, S, E]
            LayerHooks.FfnObserver pairs = (layer, lane, a, x1) -> {                     // a [B, S, E], x1 [B, S, I]
                float[] av = a.toFloatArray();
                System.arraycopy(av, 0, x, row0 * e, av.length);
                float[] x1v = x1.toFloatArray();
                long base = (long) row0 * inter;
                for (int k = 0; k < x1v.length; k++) {
                    if (x1v[k] != 0f) {
                        labels.set(base + k);
                    }
                }
            };
            LayerWalk walk = LayerWalk.of(lm, lm.positions(in), LayerWalk.Scopes.WHOLE_GRAPH, LayerHooks.observing(pairs));
            walk.lane(hb, scope);
            walk.layer(l);
            float[] nv = walk.hidden(0).toFloatArray();                                    // [B, S, E]
            System.arraycopy(nv, 0, h, row0 * e, nv.length);
        });
        layer++;
        return new LayerPairs(rows, e, inter, x, labels);
    }

    private interface BatchStep {
        void run(NDArray inputIds, int firstWindow, NDManager scope);
    }

    private void forEachBatch(BatchStep step) {
        for (WindowBatch wb : batches) {
            Torch.noGrad(() -> {
                try (NDManager scope = root.newSubManager()) {
                    step.run(Torch.fromLongs(scope, wb.ids(), new Shape(wb.count(), seqLen)), wb.first(), scope);
                }
                return null;
            });
        }
    }
}
