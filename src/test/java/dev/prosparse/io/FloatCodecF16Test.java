package dev.prosparse.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.TorchTestBase;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * FloatCodec's float16 converters (used by the readers and writers and by the offloaded update's host kernel): exhaustively over all 65,536 bit patterns, by hand at the boundaries, and against libtorch's
 * own cast (an independent implementation) on every float16 value and on about 1.2 million float32 values that include
 * every tie between neighbouring float16 values and the float32 values on either side of each tie.
 */
class FloatCodecF16Test extends TorchTestBase {
    private static float f(int bits) {
        return Float.intBitsToFloat(bits);
    }

    @Test
    void everyHalfSurvivesTheRoundTrip() {
        for (int h = 0; h < 1 << 16; h++) {
            float x = FloatCodec.f16ToFloat((short) h);
            boolean nan = (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
            assertEquals(nan, Float.isNaN(x), "NaN-ness of " + Integer.toHexString(h));
            int back = FloatCodec.floatToF16(x) & 0xffff;
            if (nan) {   // a NaN comes back quiet, same sign and payload
                assertEquals(h | 0x200, back, "NaN " + Integer.toHexString(h));
            } else {
                assertEquals(h, back, "round trip of " + Integer.toHexString(h));
            }
        }
    }

    @Test
    void handPickedValues() {
        // widening by hand: FloatCodecTest.f16DecodesKnownValues; here the narrowing boundaries
        assertEquals(0x8000, FloatCodec.floatToF16(-0f) & 0xffff);
        assertEquals(0x7bff, FloatCodec.floatToF16(65519.996f) & 0xffff);      // just under the tie: largest finite
        assertEquals(0x7c00, FloatCodec.floatToF16(65520f) & 0xffff);          // the tie rounds to even: infinity
        assertEquals(0x3c00, FloatCodec.floatToF16(1f + 0x1p-11f) & 0xffff);   // tie 1 | 1+2⁻¹⁰: even is 1
        assertEquals(0x3c02, FloatCodec.floatToF16(1f + 3 * 0x1p-11f) & 0xffff); // tie 1+2⁻¹⁰ | 1+2⁻⁹: even is 0x3c02
        assertEquals(0x0000, FloatCodec.floatToF16(0x1p-25f) & 0xffff);        // tie 0 | 2⁻²⁴: even is 0
        assertEquals(0x0001, FloatCodec.floatToF16(f(0x33000001)) & 0xffff);   // just above it
        assertEquals(0x0002, FloatCodec.floatToF16(3 * 0x1p-25f) & 0xffff);    // tie 2⁻²⁴ | 2⁻²³: even is 2
        assertEquals(0x0400, FloatCodec.floatToF16(0x1p-14f - 0x1p-26f) & 0xffff); // rounds up out of the subnormals
        assertEquals(0xfc00, FloatCodec.floatToF16(Float.NEGATIVE_INFINITY) & 0xffff);
        assertTrue(Float.isNaN(FloatCodec.f16ToFloat(FloatCodec.floatToF16(Float.NaN))));
    }

    @Test
    void agreesWithLibtorchOnEveryHalfAndEveryTie() {
        // widening: every pattern through libtorch's float16 → float32 cast
        short[] all = new short[1 << 16];
        for (int h = 0; h < all.length; h++) {
            all[h] = (short) h;
        }
        float[] wide = torchWiden(all);
        for (int h = 0; h < all.length; h++) {
            float ours = FloatCodec.f16ToFloat(all[h]);
            if (Float.isNaN(ours)) {
                assertTrue(Float.isNaN(wide[h]), Integer.toHexString(h));
            } else {
                assertEquals(Float.floatToIntBits(wide[h]), Float.floatToIntBits(ours), Integer.toHexString(h));
            }
        }
        // narrowing: every finite float16 value, each tie above it and the float32 neighbours of that tie, random values
        int n = 0;
        float[] xs = new float[0x7c00 * 2 * 4 + 200_000];
        for (int h = 0; h < 0x7c00; h++) {
            for (int sign : new int[] {0, 0x8000}) {
                float lo = FloatCodec.f16ToFloat((short) (h | sign));
                float hi = FloatCodec.f16ToFloat((short) ((h + 1) | sign));   // 0x7bff + 1 is infinity: the tie is 65520
                float tie = (float) (((double) lo + hi) / 2);        // exact: float16 values are float32 with room
                xs[n++] = lo;
                xs[n++] = tie;
                xs[n++] = Math.nextDown(tie);
                xs[n++] = Math.nextUp(tie);
            }
        }
        Random r = new Random(7);
        while (n < xs.length) {
            xs[n++] = f(r.nextInt()) ;
        }
        short[] theirs = torchNarrow(xs);
        for (int i = 0; i < xs.length; i++) {
            short ours = FloatCodec.floatToF16(xs[i]);
            if (Float.isNaN(xs[i])) {
                assertTrue(Float.isNaN(FloatCodec.f16ToFloat(theirs[i])) && Float.isNaN(FloatCodec.f16ToFloat(ours)));
            } else {
                assertEquals(theirs[i] & 0xffff, ours & 0xffff, "float32 " + Integer.toHexString(Float.floatToRawIntBits(xs[i])));
            }
        }
    }

    private static float[] torchWiden(short[] h) {
        try (NDManager m = base.newSubManager()) {
            ByteBuffer b = ByteBuffer.allocateDirect(h.length * 2).order(ByteOrder.nativeOrder());
            b.asShortBuffer().put(h);
            NDArray a = m.create(b, new Shape(h.length), DataType.FLOAT16);
            return a.toType(DataType.FLOAT32, true).toFloatArray();
        }
    }

    private static short[] torchNarrow(float[] x) {
        try (NDManager m = base.newSubManager()) {
            NDArray a = m.create(x).toType(DataType.FLOAT16, true);
            short[] out = new short[x.length];
            a.toByteBuffer().order(ByteOrder.nativeOrder()).asShortBuffer().get(out);
            return out;
        }
    }
}
