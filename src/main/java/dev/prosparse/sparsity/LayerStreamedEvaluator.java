package dev.prosparse.sparsity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.data.EvalWindows;
import dev.prosparse.data.TokenStream;
import dev.prosparse.data.WindowBatch;
import dev.prosparse.data.WindowBatches;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.model.Activation;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.LayerHooks;
import dev.prosparse.model.LayerTensor;
import dev.prosparse.model.LayerWalk;
import dev.prosparse.model.Weights;
import dev.prosparse.util.Torch;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The same measurement as {@link SparsityEvaluator}, for models that do not fit in memory in float32:
 * the hidden states of all windows go through the model one decoder layer at a time, and only that
 * layer's weights are in memory while it runs.
 *
 * <pre>
 * embed_tokens        → h[w] for every batch w           (embed freed before the first layer)
 * for each layer l:     load layer l → h[w] = layer(h[w]), x1 statistics → free layer l
 * norm + lm_head      → loss per batch (logits [b, T, V] one batch at a time)
 * </pre>
 * Peak memory ≈ one layer's float32 weights + the hidden states [windows, T, E] + lm_head + one batch's
 * activations. Batches, ops and summation order are those of {@link SparsityEvaluator}, so the results are
 * equal to the whole-model path (zero counts exactly, loss to float rounding of identical kernels). Both run the
 * model's one {@link LayerWalk}; here with every batch as a lane and a {@link StreamedLayers} source
 * (docs/layer-walk.md).
 */
public final class LayerStreamedEvaluator {
    private static final Logger LOG = LoggerFactory.getLogger(LayerStreamedEvaluator.class);

    private LayerStreamedEvaluator() {}

    /** The HF names of decoder layer {@code layer}'s tensors (the same kinds, in the same order, for every layer). */
    static List<String> layerTensors(ModelConfig config, int layer) {
        List<String> names = new ArrayList<>();
        for (LayerTensor t : LayerTensor.presentIn(config)) {
            names.add(t.hfName(layer));
        }
        return names;
    }

    /**
     * @param progress called with the number of steps done (embedding, each layer, head: layers + 2 in all);
     *                 may be null
     */
    public static SparsityResult evaluate(ModelConfig config, CheckpointFiles files, Activation act, double param,
            NDManager parent, TokenStream stream, EvalWindows windows, int batchSize, IntConsumer progress) {
        Weights.validate(config, files, files.dir().toString());
        int layers = config.numHiddenLayers();
        int t = windows.seqLen();
        long t0 = System.nanoTime();
        long loadNanos = 0;

        try (TensorLoader loader = new TensorLoader(files); NDManager run = parent.newSubManager()) {
            // per batch: the ids (kept until the loss); the walk keeps each batch's hidden state in `run`
            List<NDManager> idScopes = new ArrayList<>();
            List<NDArray[]> io = new ArrayList<>();          // [b, T] inputs, [b, T] targets
            for (WindowBatch wb : WindowBatches.of(stream, windows, batchSize)) {
                NDManager s = run.newSubManager();
                idScopes.add(s);
                io.add(CausalLM.splitWindow(Torch.fromLongs(s, wb.ids(), new Shape(wb.count(), wb.length()))));
            }

            // rotary tables and causal mask: the same for every batch and layer
            NDManager posScope = run.newSubManager();
            CausalLM shapeOnly = new CausalLM(config, null, act, param);
            CausalLM.Positions pos = shapeOnly.positions(posScope.zeros(new Shape(1, t), DataType.INT64));
            LayerTotals totals = new LayerTotals(layers);
            try (NDManager wm = run.newSubManager()) {
                StreamedLayers source = new StreamedLayers(config, loader, wm);
                LayerWalk walk = new LayerWalk(shapeOnly, pos, source, LayerWalk.Scopes.PER_LAYER,
                        LayerHooks.observing(totals));

                // ---- embeddings ------------------------------------------------------------------------
                try (NDManager em = run.newSubManager()) {
                    CausalLM m = model(config, em, Map.of(LayerTensor.EMBED, loader.load(LayerTensor.EMBED, em)), act, param);
                    for (NDArray[] batch : io) {
                        try (NDManager es = run.newSubManager()) {
                            NDArray ids = batch[0].duplicate();
                            ids.attach(es);
                            walk.lane(m.embed(ids), run);                                        // [b, T, E] in run
                        }
                    }
                }
                report(progress, 1);

                // ---- decoder layers, one in memory at a time, every batch through each ----------------------
                for (int l = 0; l < layers; l++) {
                    walk.layer(l);
                    if (LOG.isDebugEnabled()) {
                        LOG.debug(String.format(Locale.ROOT, "layer %d/%d done after %.1f s", l + 1, layers, (System.nanoTime() - t0) / 1e9));
                    }
                    report(progress, l + 2);
                }
                loadNanos = source.loadNanos();

                // ---- final norm, lm_head and loss ------------------------------------------------------
                double lossSum = 0;
                try (NDManager hm = run.newSubManager()) {
                    Map<String, NDArray> w = new LinkedHashMap<>();
                    w.put(LayerTensor.NORM, loader.load(LayerTensor.NORM, hm));
                    String head = config.tieWordEmbeddings() ? LayerTensor.EMBED : LayerTensor.LM_HEAD;
                    w.put(head, loader.load(head, hm));
                    CausalLM m = model(config, hm, w, act, param);
                    for (int bi = 0; bi < walk.lanes(); bi++) {
                        NDArray[] batch = io.get(bi);
                        long b = batch[0].getShape().get(0);
                        try (NDManager ls = run.newSubManager()) {                                 // h, logits: one batch at a time
                            NDArray h = walk.hidden(bi);
                            h.attach(ls);
                            NDArray logits = m.head(h);                                           // [b, T, V]
                            lossSum += CausalLM.crossEntropy(logits, batch[1]).getFloat() * (double) b;
                        }
                        idScopes.get(bi).close();
                    }
                }
                report(progress, layers + 2);
                double total = (System.nanoTime() - t0) / 1e9;
                LOG.info(String.format(Locale.ROOT, "Layer streaming: %.1f s, of which %.1f s reading decoder layer"
                        + " weights (%.1f s per layer)", total, loadNanos / 1e9, loadNanos / 1e9 / layers));
                return totals.result(lossSum / windows.count(), windows.tokens());
            }
        }
    }

    private static CausalLM model(ModelConfig config, NDManager wm, Map<String, NDArray> w, Activation act, double param) {
        return new CausalLM(config, Weights.of(wm, w, config.tieWordEmbeddings()), act, param);
    }

    private static void report(IntConsumer progress, int done) {
        if (progress != null) {
            progress.accept(done);
        }
    }
}
