package dev.prosparse.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.model.Activation;
import dev.prosparse.util.AtomicFiles;
import dev.prosparse.util.Json;
import dev.prosparse.util.Messages;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;

/**
 * A {@code config.json} of a supported family ({@link ModelType}: Llama 2/3, Mistral, Qwen2/2.5, Qwen3, MiniCPM):
 * the typed fields the model needs, plus the raw JSON so that a rewrite keeps every key we do not know
 * ({@code auto_map}, {@code rope_scaling}, …) as it was. Reads the transformers-4 dialect ({@code rope_theta},
 * {@code rope_scaling}, {@code torch_dtype}) and the transformers-5 one ({@code rope_parameters}, {@code dtype}).
 */
public record ModelConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        AttentionFeatures attention,
        double rmsNormEps,
        RopeParameters rope,
        Activation hiddenAct,
        double hiddenActParam,
        boolean tieWordEmbeddings,
        double scaleEmb,
        double scaleDepth,
        double dimModelBase,
        String dtype,
        ObjectNode raw) {

    public static final String FILE = "config.json";

    /** Largest config.json read; real ones are a few kB (id2label tables of big heads stay well under 1 MB). */
    static final long MAX_BYTES = 16L << 20;

    /** The family, from {@code model_type}. */
    public ModelType family() {
        return ModelType.of(modelType, "config.json");
    }

    /** The rotary base (rope_theta). */
    public double ropeTheta() {
        return rope.theta();
    }

    /** Positions a query of layer {@code layer} sees (itself included), 0 for full causal attention. */
    public int slidingWindow(int layer) {
        return attention.slidingWindow(layer);
    }

    /** Multiplier of each residual branch: scale_depth / sqrt(layers) for MiniCPM, 1 for LLaMA. */
    public double residualScale() {
        return family() == ModelType.MINICPM ? scaleDepth / Math.sqrt(numHiddenLayers) : 1.0;
    }

    /** Divisor of the final hidden state before lm_head: hidden_size / dim_model_base for MiniCPM, 1 for LLaMA. */
    public double logitDivisor() {
        return family() == ModelType.MINICPM ? hiddenSize / dimModelBase : 1.0;
    }

    /** Embedding multiplier: scale_emb for MiniCPM, 1 for LLaMA. */
    public double embeddingScale() {
        return family() == ModelType.MINICPM ? scaleEmb : 1.0;
    }

    /** Whether q_proj, k_proj and v_proj carry a bias. */
    public boolean qkvBias() {
        return attention.qkvBias();
    }

    /** Whether o_proj carries a bias. */
    public boolean oBias() {
        return attention.oBias();
    }

    /** Whether q and k go through a per-head RMSNorm (q_norm, k_norm) before the rotary embedding. */
    public boolean qkNorm() {
        return attention.qkNorm();
    }

    /** Reads {@code dir/config.json}. */
    public static ModelConfig read(Path dir) {
        Path file = dir.resolve(FILE);
        String text;
        try {
            long size = Files.size(file);
            if (size > MAX_BYTES) {
                throw ProsparseException.checkpoint(file + " is " + size + " bytes, more than the " + MAX_BYTES
                        + " a config.json can reasonably hold; it is not a HuggingFace model config");
            }
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Files.readAllBytes(file)))
                    .toString();
        } catch (NoSuchFileException e) {
            throw ProsparseException.checkpoint(file + " not found: a HuggingFace checkpoint folder needs config.json"
                    + " next to its *.safetensors files");
        } catch (CharacterCodingException e) {
            throw ProsparseException.checkpoint(file + " is not valid UTF-8 text; the file is corrupt — re-download it");
        } catch (IOException e) {
            throw ProsparseException.io("Cannot read " + file + ": " + e.getMessage(), e);
        }
        return parse(text, file.toString());
    }

    /** Parses config.json text; {@code source} names it in errors. */
    public static ModelConfig parse(String text, String source) {
        JsonNode node;
        try {
            node = Json.DOCUMENT.readTree(text);
        } catch (StreamConstraintsException e) {
            String m = String.valueOf(e.getOriginalMessage());
            throw ProsparseException.checkpoint(source + " is not valid JSON: " + (m.contains("nesting depth")
                    ? "it nests deeper than " + Json.MAX_DEPTH + " levels" : Messages.printable(m, 200)));
        } catch (JsonProcessingException e) {
            throw ProsparseException.checkpoint(source + " is not valid JSON: " + Messages.jsonProblem(e));
        }
        if (node == null || !node.isObject()) {
            throw ProsparseException.checkpoint(source + " must hold a JSON object");
        }
        String infinite = nonFinite(node, "");
        if (infinite != null) {
            throw ProsparseException.checkpoint(source + ": key " + infinite + " holds a number too large for a"
                    + " 64-bit float; the file is corrupt");
        }
        return fromJson((ObjectNode) node, source);
    }

    /** The dotted path of the first number that parsed to ±infinity (such as 1e999), or null. */
    private static String nonFinite(JsonNode node, String path) {
        if (node.isFloatingPointNumber() && !Double.isFinite(node.asDouble())) {
            return path.isEmpty() ? "(top level)" : path;
        }
        String found = null;
        if (node.isObject()) {
            for (Map.Entry<String, JsonNode> e : node.properties()) {
                String key = Messages.printable(e.getKey(), 60);
                found = found != null ? found : nonFinite(e.getValue(), path.isEmpty() ? key : path + "." + key);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size() && found == null; i++) {
                found = nonFinite(node.get(i), path + "[" + i + "]");
            }
        }
        return found;
    }

    static ModelConfig fromJson(ObjectNode raw, String source) {
        ConfigReader r = new ConfigReader(raw, source);
        String modelType = r.string("model_type", null);
        if (modelType == null) {
            throw ProsparseException.checkpoint(source + ": key model_type is missing; expected one of " + ModelType.names());
        }
        ModelType family = ModelType.of(modelType, source);
        boolean minicpm = family == ModelType.MINICPM;
        if (raw.path("pretraining_tp").asInt(1) != 1) {
            throw ProsparseException.checkpoint(source + ": pretraining_tp other than 1 is not supported");
        }

        int hidden = r.positiveInt("hidden_size");
        int heads = r.positiveInt("num_attention_heads");
        int kvHeads = raw.hasNonNull("num_key_value_heads") ? r.positiveInt("num_key_value_heads") : heads;
        if (heads % kvHeads != 0) {
            throw ProsparseException.checkpoint(source + ": num_attention_heads (" + heads
                    + ") must be a multiple of num_key_value_heads (" + kvHeads + ")");
        }
        int headDim = raw.hasNonNull("head_dim") ? r.positiveInt("head_dim") : hidden / heads;
        if (!raw.hasNonNull("head_dim") && hidden % heads != 0) {
            throw ProsparseException.checkpoint(source + ": hidden_size (" + hidden
                    + ") is not a multiple of num_attention_heads (" + heads + ") and head_dim is not given");
        }
        if (headDim % 2 != 0) {
            throw ProsparseException.checkpoint(source + ": head_dim " + headDim + " must be even for rotary embeddings");
        }

        RopeParameters rope = RopeParameters.parse(r, family);
        int layers = r.positiveInt("num_hidden_layers");
        AttentionFeatures attention = AttentionFeatures.parse(r, family, layers);

        String actName = r.string("hidden_act", "silu");
        if (!actName.equals(Messages.printable(actName, 40))) {
            throw ProsparseException.checkpoint(source + ": key hidden_act is \"" + Messages.printable(actName, 40)
                    + "\", not an activation name; valid: " + Activation.names());
        }
        Activation act = activation(source, actName);
        Double param = raw.hasNonNull("hidden_act_param") ? r.number("hidden_act_param", 0) : null;
        double actParam = activationParam(source, act, param);

        String dtype = r.string("dtype", r.string("torch_dtype", "float32"));
        return new ModelConfig(
                modelType,
                r.positiveInt("vocab_size"),
                hidden,
                r.positiveInt("intermediate_size"),
                layers,
                heads,
                kvHeads,
                headDim,
                attention,
                r.positiveNumber("rms_norm_eps", 1e-6),
                rope,
                act,
                actParam,
                r.bool("tie_word_embeddings", minicpm),
                r.number("scale_emb", 1.0),
                r.number("scale_depth", 1.0),
                minicpm ? r.positiveNumber("dim_model_base", 1.0) : r.number("dim_model_base", 1.0),
                dtype,
                raw.deepCopy());
    }

    /** hidden_act as an Activation; a name we do not implement is a flaw of the checkpoint (exit 3), not of a flag. */
    private static Activation activation(String source, String name) {
        try {
            return Activation.parse(name, source + " key hidden_act");
        } catch (ProsparseException e) {
            throw new ProsparseException(ProsparseException.Kind.CHECKPOINT, source + ": key hidden_act \"" + name
                    + "\" is not supported; prosparse implements " + Activation.names(), e);
        }
    }

    /** hidden_act_param checked for the activation, with advice about config.json rather than about --threshold. */
    private static double activationParam(String source, Activation act, Double param) {
        try {
            return act.checkParam(param, source + " key hidden_act_param");
        } catch (ProsparseException e) {
            String problem = param == null ? "is missing" : "must be a finite number ≥ 0, got " + param;
            throw new ProsparseException(ProsparseException.Kind.CHECKPOINT, source + ": key hidden_act_param " + problem
                    + "; hidden_act " + act.hfName() + " reads its threshold or shift from it, for example \"hidden_act_param\": 0.01", e);
        }
    }

    /**
     * A copy of this config with the activation replaced: only {@code hidden_act} and
     * {@code hidden_act_param} change (the latter is removed for activations that take none); every other
     * key, known or not, stays as it was, in its place.
     */
    public ModelConfig withActivation(Activation act, double param) {
        ObjectNode copy = raw.deepCopy();
        copy.put("hidden_act", act.hfName());
        if (act.takesParam()) {
            copy.put("hidden_act_param", param);
        } else {
            copy.remove("hidden_act_param");
        }
        return fromJson(copy, "config.json");
    }

    /** A copy with the weight dtype key changed (transformers-5 {@code dtype} or transformers-4 {@code torch_dtype}, whichever the file has). */
    public ModelConfig withDtype(String hfDtype) {
        ObjectNode copy = raw.deepCopy();
        if (copy.has("dtype") || !copy.has("torch_dtype")) {
            copy.put("dtype", hfDtype);
        }
        if (copy.has("torch_dtype")) {
            copy.put("torch_dtype", hfDtype);
        }
        return fromJson(copy, "config.json");
    }

    /** The config as JSON text, indented like transformers writes it. */
    public String toJson() {
        try {
            return Json.PRETTY.writeValueAsString(raw) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Writes {@code dir/config.json} atomically. */
    public void write(Path dir) {
        AtomicFiles.writeString(dir.resolve(FILE), toJson());
    }
}
