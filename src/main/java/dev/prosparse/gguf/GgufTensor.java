package dev.prosparse.gguf;

import java.util.function.Supplier;

/**
 * One tensor of a GGUF file. {@code shape} is in torch order (outermost first, e.g. [rows, cols]); the file stores
 * ggml's order (ne[0] = innermost = cols), reversed. Data: F32 or F16, little-endian, row-major. The values come
 * from {@code source}, which a lazy tensor ({@link #lazy}) reads only when it is written: a 7B export holds one
 * weight at a time, not 27 GB of float32 (docs/powerinfer-speed.md, "Export memory").
 */
public record GgufTensor(String name, long[] shape, GgmlType type, Supplier<float[]> source) {

    public GgufTensor(String name, long[] shape, GgmlType type, float[] data) {
        this(name, shape, type, () -> data);
    }

    /** A tensor whose values {@code source} makes when {@link #data()} is called (once, by the writer). */
    public static GgufTensor lazy(String name, long[] shape, GgmlType type, Supplier<float[]> source) {
        return new GgufTensor(name, shape, type, source);
    }

    /** The values, row-major [shape]; for a lazy tensor they are read now. */
    public float[] data() {
        return source.get();
    }

    public enum GgmlType {
        F32(0, 4), F16(1, 2);

        public final int code;
        public final int bytes;

        GgmlType(int code, int bytes) {
            this.code = code;
            this.bytes = bytes;
        }

        public static GgmlType of(int code) {
            for (GgmlType t : values()) {
                if (t.code == code) {
                    return t;
                }
            }
            throw new IllegalArgumentException("ggml type " + code + " not supported (F32 = 0, F16 = 1 only)");
        }
    }

    public long elements() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    public long byteSize() {
        return elements() * type.bytes;
    }
}
