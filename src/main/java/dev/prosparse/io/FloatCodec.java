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

    /** float32 of every IEEE half bit pattern (256 KiB): widening is a table lookup, for the hot loops (optim/HostAdamW). */
    private static final float[] F16_TO_FLOAT = new float[1 << 16];

    static {
        for (int h = 0; h < F16_TO_FLOAT.length; h++) {
            F16_TO_FLOAT[h] = widenF16(h);
        }
    }

    /**
     * float32 to IEEE half bits, rounding to nearest even; values too large (≥ 65520 in magnitude) become infinity,
     * tiny values become subnormals or zero, signed zeros stay signed, NaN becomes a quiet NaN of the same sign whose
     * top payload bits are kept.
     */
    public static short floatToF16(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7FFF_FFFF;
        if (abs >= 0x477F_F000) {                            // ≥ 65520 (the tie 65504 | 65536 goes to even: inf), inf, NaN
            if (abs > 0x7F80_0000) {
                return (short) (sign | 0x7E00 | (abs >>> 13) & 0x3FF);
            }
            return (short) (sign | 0x7C00);
        }
        if (abs >= 0x3880_0000) {                            // normal half: ≥ 2^-14
            int r = abs - 0x3800_0000;                       // exponent rebiased 127 → 15 (112 << 23)
            r += 0xFFF + ((r >>> 13) & 1);                   // round the 13 dropped bits to nearest, ties to even
            return (short) (sign | r >>> 13);                // a mantissa carry moves into the exponent, as it should
        }
        // subnormal or zero: the multiple of 2^-24 nearest to |f| (scaling by 2^24 is exact; rint ties to even)
        return (short) (sign | (int) Math.rint(Float.intBitsToFloat(abs) * 0x1p24f));
    }

    /** IEEE half bits to float32 (exact, including subnormals, infinities and NaN). */
    public static float f16ToFloat(short h) {
        return F16_TO_FLOAT[h & 0xFFFF];
    }

    /** The float32 value of the half bit pattern {@code h} by arithmetic (fills the table). */
    static float widenF16(int h) {
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
