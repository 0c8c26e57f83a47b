package dev.prosparse.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;

/**
 * Conversions between float32 and the 16-bit float formats bfloat16 and IEEE half (F16), with
 * round-to-nearest-even, and the bulk little-endian decoder and encoders every reader and writer of tensor bytes
 * uses. Works on Java 17 (no {@code Float.float16ToFloat}).
 */
public final class FloatCodec {

    /** Elements widened per batch: bulk-copied out of the buffer, then converted in a tight array loop. */
    private static final int BATCH = 1 << 14;

    private FloatCodec() {
    }

    /** float32 to bfloat16 bits, rounding to nearest even; infinities stay infinite, NaN becomes a quiet NaN. */
    public static short floatToBf16(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7FFF_FFFF) > 0x7F80_0000) {
            return (short) ((bits >>> 16) | 0x0040);
        }
        int rounding = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + rounding) >>> 16);
    }

    /** bfloat16 bits to float32 (exact). */
    public static float bf16ToFloat(short h) {
        return Float.intBitsToFloat((h & 0xFFFF) << 16);
    }

    /**
     * float32 to IEEE half bits, rounding to nearest even; values too large become infinity, tiny values
     * become subnormals or zero, NaN becomes a quiet NaN.
     */
    public static short floatToF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7FFF_FFFF;
        if (abs > 0x7F80_0000) {
            return (short) (sign | 0x7E00 | ((abs >>> 13) & 0x3FF));
        }
        if (abs >= 0x477F_F000) { // >= 65520: rounds past the largest half (65504)
            return (short) (sign | 0x7C00);
        }
        if (abs >= 0x3880_0000) { // normal half: >= 2^-14
            int half = ((abs >>> 23) - 112) << 10 | (abs >>> 13) & 0x3FF;
            return (short) (sign | roundHalfEven(half, abs & 0x1FFF, 13));
        }
        if (abs <= 0x3300_0000) { // <= 2^-25: rounds to zero (the tie at 2^-25 goes to even 0)
            return (short) sign;
        }
        int mantissa = (abs & 0x7F_FFFF) | 0x80_0000;
        int shift = 126 - (abs >>> 23); // 14..24
        return (short) (sign | roundHalfEven(mantissa >>> shift, mantissa & ((1 << shift) - 1), shift));
    }

    /** Rounds {@code truncated} up when the {@code droppedBits}-wide remainder is above half, or exactly half and odd. */
    private static int roundHalfEven(int truncated, int remainder, int droppedBits) {
        int halfway = 1 << (droppedBits - 1);
        return remainder > halfway || (remainder == halfway && (truncated & 1) != 0) ? truncated + 1 : truncated;
    }

    /** IEEE half bits to float32 (exact, including subnormals, infinities and NaN). */
    public static float f16ToFloat(short h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exp == 0) {
            float v = mantissa * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F80_0000 | mantissa << 13);
        }
        return Float.intBitsToFloat(sign | (exp + 112) << 23 | mantissa << 13);
    }

    /**
     * Encodes all of {@code src} as F32, F16 or BF16 little-endian at {@code dst}'s position and advances it.
     * {@code dst}'s byte order is left unchanged.
     */
    public static void encode(float[] src, DType dtype, ByteBuffer dst) {
        encode(src, 0, src.length, dtype, dst);
    }

    /** Encodes {@code src[from, from+count)}; see {@link #encode(float[], DType, ByteBuffer)}. */
    public static void encode(float[] src, int from, int count, DType dtype, ByteBuffer dst) {
        long bytes = (long) count * dtype.byteSize();
        if (bytes > dst.remaining()) {
            throw new IllegalArgumentException("buffer has " + dst.remaining() + " bytes left, need " + bytes);
        }
        ByteBuffer le = dst.slice().order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> le.asFloatBuffer().put(src, from, count);
            case BF16 -> {
                ShortBuffer out = le.asShortBuffer();
                for (int i = 0; i < count; i++) {
                    out.put(i, floatToBf16(src[from + i]));
                }
            }
            case F16 -> {
                ShortBuffer out = le.asShortBuffer();
                for (int i = 0; i < count; i++) {
                    out.put(i, floatToF16(src[from + i]));
                }
            }
            default -> throw new IllegalArgumentException("cannot encode floats as " + dtype);
        }
        dst.position(dst.position() + (int) bytes);
    }

    /**
     * Decodes {@code count} little-endian F32, F16, BF16 or F64 elements at {@code src}'s position into
     * {@code out[off, off+count)} and advances {@code src} past them. {@code src}'s byte order is left unchanged.
     *
     * @param scratch a reusable buffer for the 16-bit formats (any length ≥ 1), or null to allocate one
     */
    public static void decode(DType dtype, ByteBuffer src, float[] out, int off, int count, short[] scratch) {
        ByteBuffer le = src.slice().order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case F32 -> le.asFloatBuffer().get(out, off, count);
            case BF16, F16 -> {
                ShortBuffer in = le.asShortBuffer();
                short[] batch = scratch != null ? scratch : new short[Math.max(1, Math.min(count, BATCH))];
                for (int done = 0; done < count; done += batch.length) {
                    int n = Math.min(batch.length, count - done);
                    in.get(batch, 0, n);
                    int at = off + done;
                    if (dtype == DType.BF16) {
                        for (int i = 0; i < n; i++) {
                            out[at + i] = bf16ToFloat(batch[i]);
                        }
                    } else {
                        for (int i = 0; i < n; i++) {
                            out[at + i] = f16ToFloat(batch[i]);
                        }
                    }
                }
            }
            case F64 -> {
                java.nio.DoubleBuffer in = le.asDoubleBuffer();
                for (int i = 0; i < count; i++) {
                    out[off + i] = (float) in.get(i);
                }
            }
            default -> throw new IllegalStateException("not a float dtype: " + dtype);
        }
        src.position(src.position() + count * dtype.byteSize());
    }
}
