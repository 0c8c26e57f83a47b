package dev.prosparse.config;

import dev.prosparse.ProsparseException;
import dev.prosparse.util.Messages;
import java.util.Arrays;
import java.util.stream.Collectors;

/** The {@code model_type} values prosparse computes, each as transformers 5.17 (or MiniCPM's own code) does. */
public enum ModelType {
    LLAMA("llama"),
    MISTRAL("mistral"),
    QWEN2("qwen2"),
    QWEN3("qwen3"),
    MINICPM("minicpm");

    private final String hfName;

    ModelType(String hfName) {
        this.hfName = hfName;
    }

    public String hfName() {
        return hfName;
    }

    /** "llama, mistral, qwen2, qwen3, minicpm". */
    public static String names() {
        return Arrays.stream(values()).map(ModelType::hfName).collect(Collectors.joining(", "));
    }

    /** The type of a config's {@code model_type}, or an error (exit 3) naming it and the supported ones. */
    public static ModelType of(String name, String source) {
        for (ModelType t : values()) {
            if (t.hfName.equals(name)) {
                return t;
            }
        }
        throw ProsparseException.checkpoint(source + ": model_type \"" + Messages.printable(name, 60)
                + "\" is not supported; prosparse handles " + names() + " checkpoints");
    }
}
