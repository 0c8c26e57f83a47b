package dev.prosparse.io;

import java.util.Arrays;

/**
 * One tensor entry of a safetensors header. {@code begin} and {@code end} are byte offsets relative to the
 * start of the data section (end exclusive).
 */
public record TensorInfo(String name, DType dtype, long[] shape, long begin, long end) {

    public TensorInfo {
        shape = shape.clone();
    }

    /** A copy of the shape. */
    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** Number of elements (product of the shape; 1 for a scalar). */
    public long numel() {
        return numel(shape);
    }

    /** Size of the tensor data in bytes. */
    public long byteLength() {
        return end - begin;
    }

    /** Product of {@code shape}; throws ArithmeticException on overflow. */
    static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorInfo t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
                && begin == t.begin && end == t.end;
    }

    @Override
    public int hashCode() {
        // dtype.ordinal(), not dtype.hashCode(): an enum hashes by identity, which differs from run to run
        return (name.hashCode() * 31 + dtype.ordinal()) * 31 + Arrays.hashCode(shape) + Long.hashCode(begin);
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
    }
}
