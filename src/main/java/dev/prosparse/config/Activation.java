package dev.prosparse.config;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.ProsparseException;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The FFN activations of {@code docs/prosparse-method.md} §2, named as {@code hidden_act} spells them.
 * {@code x1 = σ(gate) ⊙ up} for all but {@link #DRELU}, which applies ReLU to the up branch too.
 */
public enum Activation {
    /** g·sigmoid(g): the original Swish of LLaMA and MiniCPM. */
    SILU("silu", false),
    /** max(g, 0). */
    RELU("relu", false),
    /** g if g ≥ t else 0 (ProSparse threshold shifting; t = hidden_act_param). */
    FATRELU("fatrelu", true),
    /** max(g − b, 0) (b = hidden_act_param). */
    SHIFTRELU("shiftrelu", true),
    /** max(g, 0)². */
    RELU2("relu2", false),
    /** max(g, 0) on the gate and max(u, 0) on the up branch (TurboSparse dReLU). */
    DRELU("drelu", false);

    private final String hfName;
    private final boolean takesParam;

    Activation(String hfName, boolean takesParam) {
        this.hfName = hfName;
        this.takesParam = takesParam;
    }

    /** The {@code hidden_act} string written to config.json. */
    public String hfName() {
        return hfName;
    }

    /** Whether {@code hidden_act_param} (threshold or shift) is part of this activation. */
    public boolean takesParam() {
        return takesParam;
    }

    /** Valid names, for error messages and help. */
    public static String names() {
        return Arrays.stream(values()).map(Activation::hfName).collect(Collectors.joining(", "));
    }

    /**
     * Parses a {@code hidden_act} value or a {@code --act} flag. {@code swish} is accepted as the
     * transformers alias of {@code silu}.
     *
     * @param where what the name came from, for the error ("config.json key hidden_act", "--act")
     */
    public static Activation parse(String name, String where) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (n.equals("swish")) {
            return SILU;
        }
        for (Activation a : values()) {
            if (a.hfName.equals(n)) {
                return a;
            }
        }
        throw ProsparseException.usage(where + ": unknown activation '" + name + "'; valid: " + names()
                + (where.startsWith("--") ? " (for example --act relu)" : " (for example relu)"));
    }

    /** Checks and normalises the parameter: required and ≥ 0 for fatrelu/shiftrelu, ignored (0) otherwise. */
    public double checkParam(Double param, String where) {
        if (!takesParam) {
            return 0.0;
        }
        if (param == null) {
            throw ProsparseException.usage(where + ": activation " + hfName + " needs a threshold"
                    + " (hidden_act_param), for example " + (where.startsWith("--") ? "--threshold 0.01" : "threshold: 0.01"));
        }
        if (!(param >= 0) || Double.isInfinite(param)) {
            throw ProsparseException.usage(where + ": threshold for " + hfName + " must be a finite number ≥ 0, got "
                    + param + (where.startsWith("--") ? " (for example --threshold 0.01)" : " (for example threshold: 0.01)"));
        }
        return param;
    }

    /**
     * x1 = σ(gate) ⊙ up, with the parameter as a torch-owned scalar (see djl-notes bug 1: no Java-number
     * overloads inside anything autograd may differentiate).
     *
     * @param gate  x·W_gateᵀ  [..., intermediate]
     * @param up    x·W_upᵀ    [..., intermediate]
     * @param param threshold or shift; ignored unless {@link #takesParam()}
     * @return x1  [..., intermediate]
     */
    public NDArray apply(NDArray gate, NDArray up, double param) {
        switch (this) {
            case SILU:
                return gate.mul(gate.getNDArrayInternal().sigmoid()).mul(up);
            case RELU:
                return gate.getNDArrayInternal().relu().mul(up);
            case FATRELU: {
                NDArray t = scalar(gate, param);
                NDArray keep = gate.gte(t).toType(DataType.FLOAT32, false);
                return gate.mul(keep).mul(up);
            }
            case SHIFTRELU:
                return gate.sub(scalar(gate, param)).getNDArrayInternal().relu().mul(up);
            case RELU2: {
                NDArray r = gate.getNDArrayInternal().relu();
                return r.mul(r).mul(up);
            }
            case DRELU:
                return gate.getNDArrayInternal().relu().mul(up.getNDArrayInternal().relu());
            default:
                throw new AssertionError(this);
        }
    }

    private static NDArray scalar(NDArray like, double value) {
        return like.getManager().full(new Shape(), (float) value, like.getDataType(), like.getDevice());
    }
}
