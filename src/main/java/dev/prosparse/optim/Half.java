package dev.prosparse.optim;

/**
 * IEEE 754 binary16 (float16) ↔ binary32 (float32) conversion in Java 17, which has no {@code Float.float16ToFloat}
 * (docs/gpu.md, "Optimizer offload"). Both directions are exact in the IEEE sense: widening is exact, narrowing rounds
 * to nearest with ties to even, overflows to ±infinity (values ≥ 65520 in magnitude), keeps subnormals and signed
 * zeros, and maps NaN to a quiet NaN of the same sign whose top payload bits are kept.
 */
public final class Half {
    private Half() {}

    /** float32 of every float16 bit pattern (256 KiB; widening is a table lookup). */
    private static final float[] TO_FLOAT = new float[1 << 16];

    static {
        for (int h = 0; h < TO_FLOAT.length; h++) {
            TO_FLOAT[h] = widen(h);
        }
    }

    /** The float32 value of the float16 bit pattern {@code h} (its low 16 bits). */
    public static float toFloat(short h) {
        return TO_FLOAT[h & 0xffff];
    }

    /** The float32 value of the float16 bit pattern {@code h} by arithmetic (fills the table). */
    static float widen(int h) {
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {                                   // ±inf, NaN (payload kept)
            return Float.intBitsToFloat(sign | 0x7f800000 | mant << 13);
        }
        if (exp == 0) {                                      // ±0, subnormal: mant · 2⁻²⁴, exact in float32
            float v = mant * 0x1p-24f;
            return sign != 0 ? -v : v;
        }
        return Float.intBitsToFloat(sign | (exp + 112) << 23 | mant << 13);   // rebias 15 → 127
    }

    /** The float16 bit pattern nearest to {@code f} (ties to even). */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs >= 0x477ff000) {                             // ≥ 65520 (halfway 65504…65536 rounds to even: inf), inf, NaN
            if (abs > 0x7f800000) {
                return (short) (sign | 0x7e00 | (abs >>> 13) & 0x3ff);   // quiet NaN
            }
            return (short) (sign | 0x7c00);
        }
        if (abs >= 0x38800000) {                             // normal float16 range: ≥ 2⁻¹⁴
            int r = abs - 0x38000000;                        // exponent rebiased 127 → 15 (112 << 23)
            r += 0xfff + ((r >>> 13) & 1);                   // round the 13 dropped bits to nearest, ties to even
            return (short) (sign | r >>> 13);                // a mantissa carry moves into the exponent, as it should
        }
        // subnormal or zero: the multiple of 2⁻²⁴ nearest to |f| (scaling by 2²⁴ is exact; rint ties to even)
        return (short) (sign | (int) Math.rint(Float.intBitsToFloat(abs) * 0x1p24f));
    }
}
