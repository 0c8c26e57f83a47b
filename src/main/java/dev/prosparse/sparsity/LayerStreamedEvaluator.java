package dev.prosparse.sparsity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.data.EvalWindows;
import dev.prosparse.data.TokenStream;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.config.Activation;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.LayerTensor;
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
 * equal to the whole-model path (zero counts exactly, loss to float rounding of identical kernels).
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
        long[] zeros = new long[layers], count = new long[layers];
        double[] absSum = new double[layers];
        int t = windows.seqLen();
        long t0 = System.nanoTime();
        long loadNanos = 0;

        try (TensorLoader loader = new TensorLoader(files); NDManager run = parent.newSubManager()) {
            // per batch: the ids (kept until the loss) and the hidden state (replaced after every layer)
            List<NDManager> idScopes = new ArrayList<>();
            List<NDArray[]> io = new ArrayList<>();          // [b, T] inputs, [b, T] targets
            List<NDManager> hScopes = new ArrayList<>();
            List<NDArray> hidden = new ArrayList<>();        // [b, T, E] each
            for (int first = 0; first < windows.count(); first += batchSize) {
                int b = Math.min(batchSize, windows.count() - first);
                long[] ids = new long[b * (t + 1)];
                for (int i = 0; i < b; i++) {
                    System.arraycopy(stream.window(windows.start(first + i), t + 1), 0, ids, i * (t + 1), t + 1);
                }
                NDManager s = run.newSubManager();
                idScopes.add(s);
                io.add(CausalLM.splitWindow(Torch.fromLongs(s, ids, new Shape(b, t + 1))));
            }

            // rotary tables and causal mask: the same for every batch and layer
            NDManager posScope = run.newSubManager();
            CausalLM.Positions pos = new CausalLM(config, null, act, param)
                    .positions(posScope.zeros(new Shape(1, t), DataType.INT64));

            // ---- embeddings ------------------------------------------------------------------------
            try (NDManager wm = run.newSubManager()) {
                CausalLM m = model(config, wm, Map.of(LayerTensor.EMBED, loader.load(LayerTensor.EMBED, wm)), act, param);
                for (NDArray[] batch : io) {
                    NDManager s = run.newSubManager();
                    NDArray ids = batch[0].duplicate();
                    ids.attach(s);
                    hidden.add(m.embed(ids));                                             // [b, T, E] in s
                    hScopes.add(s);
                }
            }
            report(progress, 1);

            // ---- decoder layers, one in memory at a time --------------------------------------------
            // Every layer has the same shapes: layer 0's buffers are allocated once and overwritten by each
            // later layer, so no layer allocates (and page-faults in) fresh memory.
            try (NDManager wm = run.newSubManager()) {
                List<NDArray> buffers = new ArrayList<>();
                for (int l = 0; l < layers; l++) {
                    long tl = System.nanoTime();
                    Map<String, NDArray> w = new LinkedHashMap<>();
                    List<String> names = layerTensors(config, l);
                    for (int i = 0; i < names.size(); i++) {
                        if (l == 0) {
                            buffers.add(loader.load(names.get(i), wm));
                        } else {
                            loader.fill(names.get(i), buffers.get(i));
                        }
                        w.put(names.get(i), buffers.get(i));
                    }
                    loadNanos += System.nanoTime() - tl;
                    CausalLM m = model(config, wm, w, act, param);
                    for (int bi = 0; bi < hidden.size(); bi++) {
                        NDManager next = run.newSubManager();
                        List<NDArray> x1 = new ArrayList<>(1);
                        NDArray h = m.decoderLayer(hidden.get(bi), l, pos, x1);              // [b, T, E], in the old scope
                        CausalLM.LayerStats st = CausalLM.stats(x1.get(0));
                        zeros[l] += st.zeros();
                        count[l] += st.count();
                        absSum[l] += st.absSum();
                        h.attach(next);
                        hScopes.get(bi).close();                                             // the old h and this layer's activations
                        hScopes.set(bi, next);
                        hidden.set(bi, h);
                    }
                    if (LOG.isDebugEnabled()) {
                        LOG.debug(String.format(Locale.ROOT, "layer %d/%d done after %.1f s", l + 1, layers, (System.nanoTime() - t0) / 1e9));
                    }
                    report(progress, l + 2);
                }
            }

            // ---- final norm, lm_head and loss ------------------------------------------------------
            double lossSum = 0;
            try (NDManager wm = run.newSubManager()) {
                Map<String, NDArray> w = new LinkedHashMap<>();
                w.put(LayerTensor.NORM, loader.load(LayerTensor.NORM, wm));
                String head = config.tieWordEmbeddings() ? LayerTensor.EMBED : LayerTensor.LM_HEAD;
                w.put(head, loader.load(head, wm));
                CausalLM m = model(config, wm, w, act, param);
                for (int bi = 0; bi < hidden.size(); bi++) {
                    NDArray[] batch = io.get(bi);
                    long b = batch[0].getShape().get(0);
                    NDArray logits = m.head(hidden.get(bi));                                  // [b, T, V]
                    lossSum += CausalLM.crossEntropy(logits, batch[1]).getFloat() * (double) b;
                    hScopes.get(bi).close();                                                  // h, logits: one batch at a time
                    idScopes.get(bi).close();
                }
            }
            report(progress, layers + 2);
            double total = (System.nanoTime() - t0) / 1e9;
            LOG.info(String.format(Locale.ROOT, "Layer streaming: %.1f s, of which %.1f s reading decoder layer"
                    + " weights (%.1f s per layer)", total, loadNanos / 1e9, loadNanos / 1e9 / layers));
            return new SparsityResult(lossSum / windows.count(), windows.tokens(), zeros, count, absSum);
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
