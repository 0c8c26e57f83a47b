package dev.prosparse.gguf;

/**
 * One tensor of a GGUF file. {@code shape} is in torch order (outermost first, e.g. [rows, cols]); the file stores
 * ggml's order (ne[0] = innermost = cols), reversed. Data: F32 or F16, little-endian, row-major.
 */
public record GgufTensor(String name, long[] shape, GgmlType type, float[] data) {

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
