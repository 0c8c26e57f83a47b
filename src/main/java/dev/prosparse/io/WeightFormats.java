package dev.prosparse.io;

import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Weight files in formats other than safetensors (PyTorch pickles, TensorFlow, Flax, ONNX, GGUF, …). The tool
 * reads only safetensors, so these are never downloaded nor copied into a converted checkpoint: they would hold
 * the unconverted weights a second time.
 */
public final class WeightFormats {
    /** File-name endings of the other weight formats (compared in lower case). */
    public static final List<String> OTHER_SUFFIXES = List.of(".bin", ".pth", ".pt", ".ckpt", ".h5", ".msgpack",
            ".onnx", ".onnx_data", ".gguf", ".ot", ".tflite", ".mlmodel", ".npz", ".nemo", ".pdparams");
    /** The shard indexes of the other formats (the safetensors one is {@link SafetensorsIndex#FILE_NAME}). */
    public static final Set<String> OTHER_INDEX_FILES = Set.of("pytorch_model.bin.index.json", "tf_model.h5.index.json",
            "flax_model.msgpack.index.json");

    private WeightFormats() {}

    /** Whether {@code fileName} ends like a weight file of another format. */
    public static boolean isOtherFormat(String fileName) {
        String lower = fileName.toLowerCase(Locale.ROOT);
        return OTHER_SUFFIXES.stream().anyMatch(lower::endsWith);
    }
}
