package dev.prosparse.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.util.Messages;

/**
 * The rotary embedding of a config: its type and parameters, read from the transformers-5 form
 * ({@code rope_parameters: {rope_type, rope_theta, …}}) or the legacy one ({@code rope_scaling: {rope_type | type, …}}
 * plus a top-level {@code rope_theta}; a non-empty rope_scaling wins when both are there, as in transformers 5).
 * Types other than {@code default} and {@code llama3} are refused by name.
 *
 * @param factor, lowFreqFactor, highFreqFactor, originalMaxPositionEmbeddings llama3 only (0 for default)
 */
public record RopeParameters(RopeType type, double theta, double factor, double lowFreqFactor, double highFreqFactor,
        int originalMaxPositionEmbeddings) {

    /** The rotary types implemented. */
    public enum RopeType {
        DEFAULT("default"),
        LLAMA3("llama3");

        final String hfName;

        RopeType(String hfName) {
            this.hfName = hfName;
        }

        public String hfName() {
            return hfName;
        }
    }

    static final double DEFAULT_THETA = 10000.0;

    static RopeParameters parse(ConfigReader top, ModelType modelType) {
        ObjectNode raw = top.raw;
        String source = top.source;
        JsonNode params = raw.get("rope_parameters");
        JsonNode scaling = raw.get("rope_scaling");
        String key;
        ConfigReader r;
        // transformers 5 (PreTrainedConfig.convert_rope_params_to_dict): a non-empty rope_scaling wins over rope_parameters
        if (scaling != null && !scaling.isNull() && !(scaling.isObject() && scaling.isEmpty())) {
            key = "rope_scaling";
            if (!scaling.isObject()) {
                throw ProsparseException.checkpoint(source + ": key rope_scaling must be an object or null, got "
                        + Messages.printable(scaling.toString(), 60));
            }
            r = new ConfigReader((ObjectNode) scaling, source + ": rope_scaling");
        } else if (params != null && !params.isNull()) {
            key = "rope_parameters";
            if (!params.isObject()) {
                throw ProsparseException.checkpoint(source + ": key rope_parameters must be an object, got "
                        + Messages.printable(params.toString(), 60));
            }
            r = new ConfigReader((ObjectNode) params, source + ": rope_parameters");
        } else {
            return new RopeParameters(RopeType.DEFAULT, top.positiveNumber("rope_theta", DEFAULT_THETA), 0, 0, 0, 0);
        }
        // theta: inside rope_parameters (transformers 5), else top level (legacy and transformers 4)
        double theta = r.raw.hasNonNull("rope_theta") ? r.positiveNumber("rope_theta", DEFAULT_THETA)
                : raw.hasNonNull("rope_theta") || params == null || !params.isObject()
                ? top.positiveNumber("rope_theta", DEFAULT_THETA)
                : new ConfigReader((ObjectNode) params, source + ": rope_parameters").positiveNumber("rope_theta", DEFAULT_THETA);
        String typeName = r.string("rope_type", r.string("type", "default"));
        if (r.raw.hasNonNull("partial_rotary_factor") && r.number("partial_rotary_factor", 1.0) != 1.0
                || raw.hasNonNull("partial_rotary_factor") && top.number("partial_rotary_factor", 1.0) != 1.0) {
            throw ProsparseException.checkpoint(source + ": partial_rotary_factor other than 1 is not supported");
        }
        RopeType type = null;
        for (RopeType t : RopeType.values()) {
            if (t.hfName.equals(typeName)) {
                type = t;
            }
        }
        if (type == null || type == RopeType.LLAMA3 && modelType == ModelType.MINICPM) {
            throw ProsparseException.checkpoint(source + ": " + key + ".rope_type \"" + Messages.printable(typeName, 60)
                    + "\" is not supported" + (modelType == ModelType.MINICPM ? " for minicpm (only \"default\")"
                    : "; prosparse implements \"default\" and \"llama3\""));
        }
        if (type == RopeType.DEFAULT) {
            return new RopeParameters(type, theta, 0, 0, 0, 0);
        }
        double factor = required(r, key, "factor");
        double low = required(r, key, "low_freq_factor");
        double high = required(r, key, "high_freq_factor");
        if (!(high > low)) {
            throw ProsparseException.checkpoint(source + ": " + key + ".high_freq_factor (" + high
                    + ") must be above low_freq_factor (" + low + ")");
        }
        if (!r.raw.hasNonNull("original_max_position_embeddings")) {
            throw ProsparseException.checkpoint(source + ": " + key + ".original_max_position_embeddings is missing;"
                    + " rope_type llama3 needs it");
        }
        return new RopeParameters(type, theta, factor, low, high, r.positiveInt("original_max_position_embeddings"));
    }

    private static double required(ConfigReader r, String key, String name) {
        if (!r.raw.hasNonNull(name)) {
            throw ProsparseException.checkpoint(r.source.replaceFirst(": " + key + "$", "") + ": " + key + "." + name
                    + " is missing; rope_type llama3 needs it");
        }
        return r.positiveNumber(name, 1.0);
    }
}
