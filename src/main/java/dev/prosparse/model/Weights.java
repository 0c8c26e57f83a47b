package dev.prosparse.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.TensorInfo;
import dev.prosparse.util.Torch;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model's parameters as float32 NDArrays, in a manager of their own: by HuggingFace tensor name
 * ({@link #asMap()}, for the optimizer and the writers) and typed, one {@link LayerWeights} per decoder layer
 * (for the model). Loading checks every tensor's presence and shape against config.json and names the first one
 * that disagrees; the names come from {@link LayerTensor}.
 */
public final class Weights implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Weights.class);
    /** Buffers some exporters keep in the file; they are derived, not parameters. */
    private static final String IGNORED_SUFFIX = "rotary_emb.inv_freq";

    private final NDManager manager;
    private final Map<String, NDArray> params;
    private final boolean tied;
    /** Typed layers by index; a layer-streamed model holds one layer (or none) at a time. */
    private final Map<Integer, LayerWeights> layers;

    private Weights(NDManager manager, Map<String, NDArray> params, boolean tied) {
        this.manager = manager;
        this.params = params;
        this.tied = tied;
        this.layers = new TreeMap<>();
        for (String name : params.keySet()) {
            int l = LayerTensor.layerOf(name);
            if (l >= 0 && !layers.containsKey(l)) {
                layers.put(l, LayerWeights.from(l, params::get));
            }
        }
    }

    /** The HF names and shapes a checkpoint with this config must hold, in HF order. */
    public static Map<String, long[]> expectedShapes(ModelConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        long e = c.hiddenSize(), v = c.vocabSize();
        m.put(LayerTensor.EMBED, new long[] {v, e});
        List<LayerTensor> perLayer = LayerTensor.presentIn(c);
        for (int l = 0; l < c.numHiddenLayers(); l++) {
            for (LayerTensor t : perLayer) {
                m.put(t.hfName(l), t.shape(c));
            }
        }
        m.put(LayerTensor.NORM, new long[] {e});
        if (!c.tieWordEmbeddings()) {
            m.put(LayerTensor.LM_HEAD, new long[] {v, e});
        }
        return m;
    }

    /**
     * Checks that the checkpoint holds exactly the tensors the config implies, with the right shapes.
     * An {@code lm_head.weight} next to tied embeddings is accepted and ignored, as transformers does.
     */
    public static void validate(ModelConfig config, CheckpointFiles files, String where) {
        Map<String, long[]> expected = expectedShapes(config);
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            if (!files.names().contains(e.getKey())) {
                LayerTensor kind = LayerTensor.of(e.getKey());
                String hint = e.getKey().equals(LayerTensor.LM_HEAD)
                        ? " (config.json says tie_word_embeddings=false; set it to true if lm_head shares embed_tokens)"
                        : kind != null && kind.decidedBy() != null
                        ? " but a " + config.modelType() + " model with this config.json has it (decided by "
                                + kind.decidedBy() + "); the weights and config.json do not belong together"
                        : "";
                throw ProsparseException.checkpoint(where + ": tensor '" + e.getKey() + "' is missing" + hint);
            }
            TensorInfo info = files.info(e.getKey());
            if (!Arrays.equals(info.shape(), e.getValue())) {
                throw ProsparseException.checkpoint(where + ": tensor '" + e.getKey() + "' has shape "
                        + Arrays.toString(info.shape()) + " but config.json implies " + Arrays.toString(e.getValue())
                        + "; the weights and config.json do not belong together");
            }
            if (!info.dtype().isFloating()) {
                throw ProsparseException.checkpoint(where + ": tensor '" + e.getKey() + "' has dtype " + info.dtype()
                        + "; weights must be F32, F16 or BF16");
            }
        }
        for (String n : files.names()) {
            LayerTensor kind = LayerTensor.of(n);
            if (kind != null && !expected.containsKey(n) && LayerTensor.layerOf(n) < config.numHiddenLayers()) {
                throw ProsparseException.checkpoint(where + ": tensor '" + n + "' is present but a " + config.modelType()
                        + " model with this config.json has none (decided by " + kind.decidedBy()
                        + "); the weights and config.json do not belong together");
            }
        }
        Set<String> extra = files.names().stream()
                .filter(n -> !expected.containsKey(n) && !n.endsWith(IGNORED_SUFFIX) && !n.equals(LayerTensor.LM_HEAD))
                .collect(Collectors.toCollection(java.util.TreeSet::new));
        if (!extra.isEmpty()) {
            throw ProsparseException.checkpoint(where + ": unexpected tensors " + summarize(extra)
                    + " for a " + config.modelType() + " model with " + config.numHiddenLayers()
                    + " layers; check num_hidden_layers in config.json");
        }
    }

    /** Reads every parameter as float32 into a new sub-manager of {@code parent}. */
    public static Weights load(ModelConfig config, CheckpointFiles files, NDManager parent) {
        validate(config, files, files.dir().toString());
        NDManager manager = parent.newSubManager();
        Map<String, NDArray> params = new LinkedHashMap<>();
        try {
            for (Map.Entry<String, long[]> e : expectedShapes(config).entrySet()) {
                float[] data = files.readFloat32(e.getKey());
                NDArray a = Torch.fromFloats(manager, data, new Shape(e.getValue()));
                a.setName(e.getKey());
                params.put(e.getKey(), a);
            }
        } catch (RuntimeException ex) {
            manager.close();
            throw ex;
        }
        if (config.tieWordEmbeddings() && files.names().contains(LayerTensor.LM_HEAD)) {
            LOG.debug("lm_head.weight present but tie_word_embeddings=true: using embed_tokens, as transformers does");
        }
        return new Weights(manager, params, config.tieWordEmbeddings());
    }

    /**
     * Wraps existing arrays (for tests, trainers that build parameters themselves, and the layer-streamed
     * evaluator, which holds a subset). Every layer that has any tensor must have all its required ones.
     */
    public static Weights of(NDManager manager, Map<String, NDArray> params, boolean tied) {
        return new Weights(manager, params, tied);
    }

    /** Decoder layer {@code layer}'s tensors. */
    public LayerWeights layer(int layer) {
        LayerWeights w = layers.get(layer);
        if (w == null) {
            throw new IllegalArgumentException("no weights for decoder layer " + layer);
        }
        return w;
    }

    /** model.embed_tokens.weight [V, E]. */
    public NDArray embedTokens() {
        return get(LayerTensor.EMBED);
    }

    /** model.norm.weight [E]. */
    public NDArray finalNorm() {
        return get(LayerTensor.NORM);
    }

    /** A parameter by HF name. */
    public NDArray get(String name) {
        NDArray a = params.get(name);
        if (a == null) {
            throw new IllegalArgumentException("no parameter " + name);
        }
        return a;
    }

    /** lm_head.weight, or embed_tokens when the embeddings are tied. */
    public NDArray lmHead() {
        return tied ? embedTokens() : get(LayerTensor.LM_HEAD);
    }

    public boolean tied() {
        return tied;
    }

    /** All trainable parameters in HF order (the tied lm_head appears once, as embed_tokens). */
    public Map<String, NDArray> asMap() {
        return Collections.unmodifiableMap(params);
    }

    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        manager.close();
    }

    private static String summarize(Set<String> names) {
        List<String> l = names.stream().limit(3).collect(Collectors.toList());
        return l + (names.size() > 3 ? " and " + (names.size() - 3) + " more" : "");
    }
}
