package dev.prosparse.io;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class FloatCodecTest {

    @Test
    void everyBf16PatternRoundTrips() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short h = (short) bits;
            float f = FloatCodec.bf16ToFloat(h);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(FloatCodec.bf16ToFloat(FloatCodec.floatToBf16(f))), "NaN " + bits);
            } else {
                assertEquals(h, FloatCodec.floatToBf16(f), "bf16 bits " + Integer.toHexString(bits));
            }
        }
    }

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals(0x3F80, FloatCodec.floatToBf16(1.00390625f)); // tie between 1.0 (even) and 1.0078125
        assertEquals(0x3F81, FloatCodec.floatToBf16(Math.nextUp(1.00390625f)));
        assertEquals(0x3F82, FloatCodec.floatToBf16(1.01171875f)); // tie between 0x3F81 (odd) and 0x3F82
        assertEquals(0x3F80, FloatCodec.floatToBf16(Math.nextDown(1.00390625f)));
        for (int h = 0; h < 0x7F80; h++) { // every finite positive tie goes to the even neighbour
            float tie = Float.intBitsToFloat(h << 16 | 0x8000);
            int even = (h & 1) == 0 ? h : h + 1;
            assertEquals(even, FloatCodec.floatToBf16(tie) & 0xFFFF, "tie above " + h);
            assertEquals(even | 0x8000, FloatCodec.floatToBf16(-tie) & 0xFFFF, "negative tie above " + h);
        }
    }

    @Test
    void bf16SpecialValues() {
        assertEquals((short) 0x7F80, FloatCodec.floatToBf16(Float.POSITIVE_INFINITY));
        assertEquals((short) 0xFF80, FloatCodec.floatToBf16(Float.NEGATIVE_INFINITY));
        assertEquals((short) 0x7F80, FloatCodec.floatToBf16(Float.MAX_VALUE)); // rounds up past the largest bf16
        assertEquals((short) 0x8000, FloatCodec.floatToBf16(-0.0f));
        // a NaN whose payload lives only in the low 16 bits must not turn into infinity
        float lowPayloadNaN = Float.intBitsToFloat(0x7F800001);
        assertTrue(Float.isNaN(FloatCodec.bf16ToFloat(FloatCodec.floatToBf16(lowPayloadNaN))));
        assertTrue(Float.isNaN(FloatCodec.bf16ToFloat(FloatCodec.floatToBf16(Float.NaN))));
    }

    @Test
    void everyF16PatternRoundTrips() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short h = (short) bits;
            float f = FloatCodec.f16ToFloat(h);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(FloatCodec.f16ToFloat(FloatCodec.floatToF16(f))), "NaN " + bits);
            } else {
                assertEquals(h, FloatCodec.floatToF16(f), "f16 bits " + Integer.toHexString(bits));
            }
        }
    }

    @Test
    void f16DecodesKnownValues() {
        assertEquals(1.0f, FloatCodec.f16ToFloat((short) 0x3C00));
        assertEquals(-2.0f, FloatCodec.f16ToFloat((short) 0xC000));
        assertEquals(65504f, FloatCodec.f16ToFloat((short) 0x7BFF));
        assertEquals(0x1p-14f, FloatCodec.f16ToFloat((short) 0x0400)); // smallest normal
        assertEquals(0x1p-24f, FloatCodec.f16ToFloat((short) 0x0001)); // smallest subnormal
        assertEquals(-0x3FFp-24f, FloatCodec.f16ToFloat((short) 0x83FF)); // largest subnormal, negative
        assertEquals(Float.POSITIVE_INFINITY, FloatCodec.f16ToFloat((short) 0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, FloatCodec.f16ToFloat((short) 0xFC00));
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(FloatCodec.f16ToFloat((short) 0x8000)));
        assertTrue(Float.isNaN(FloatCodec.f16ToFloat((short) 0x7C01)));
    }

    @Test
    void f16RoundsToNearestEvenIncludingSubnormalsAndOverflow() {
        assertEquals(0x3C00, FloatCodec.floatToF16(1 + 0x1p-11f)); // tie: 1.0 is even
        assertEquals(0x3C01, FloatCodec.floatToF16(Math.nextUp(1 + 0x1p-11f)));
        assertEquals(0x3C02, FloatCodec.floatToF16(1 + 3 * 0x1p-11f)); // tie: 0x3C02 is even
        assertEquals(0x7BFF, FloatCodec.floatToF16(Math.nextDown(65520f)));
        assertEquals(0x7C00, FloatCodec.floatToF16(65520f)); // tie with the (odd) max rounds to infinity
        assertEquals((short) 0xFC00, FloatCodec.floatToF16(-1e10f));
        assertEquals(0x0000, FloatCodec.floatToF16(0x1p-25f)); // tie between 0 and the smallest subnormal
        assertEquals(0x0001, FloatCodec.floatToF16(Math.nextUp(0x1p-25f)));
        assertEquals(0x0002, FloatCodec.floatToF16(3 * 0x1p-25f)); // tie between subnormals 1 and 2
        assertEquals(0x0400, FloatCodec.floatToF16(Math.nextDown(0x1p-14f))); // rounds up into the normals
        assertEquals((short) 0x8000, FloatCodec.floatToF16(-1e-30f));
        assertTrue(Float.isNaN(FloatCodec.f16ToFloat(FloatCodec.floatToF16(Float.intBitsToFloat(0x7F800001)))));
    }

    @Test
    void f16IsTheNearestHalfForSampledFloats() {
        for (long bits = 0; bits <= 0xFFFF_FFFFL; bits += 4099) {
            float f = Float.intBitsToFloat((int) bits);
            if (Float.isNaN(f)) {
                continue;
            }
            int h = FloatCodec.floatToF16(f) & 0xFFFF;
            float abs = Math.abs(f);
            if (abs >= 65520f) {
                assertEquals(0x7C00, h & 0x7FFF, "overflow " + f);
                continue;
            }
            int mag = h & 0x7FFF;
            double err = Math.abs(abs - (double) FloatCodec.f16ToFloat((short) mag));
            for (int neighbour : new int[] {mag - 1, mag + 1}) {
                if (neighbour < 0 || neighbour > 0x7BFF) {
                    continue;
                }
                double other = Math.abs(abs - (double) FloatCodec.f16ToFloat((short) neighbour));
                assertTrue(err < other || (err == other && (mag & 1) == 0), "not nearest-even for " + f);
            }
        }
    }

    @Test
    void encodeWritesLittleEndianAndKeepsBufferOrder() {
        ByteBuffer dst = ByteBuffer.allocate(14).order(ByteOrder.BIG_ENDIAN);
        FloatCodec.encode(new float[] {1.0f}, DType.F32, dst);
        FloatCodec.encode(new float[] {1.0f, -2.0f}, DType.F16, dst);
        FloatCodec.encode(new float[] {1.0f, 3.0f}, DType.BF16, dst);
        assertEquals(ByteOrder.BIG_ENDIAN, dst.order());
        assertEquals(12, dst.position());
        byte[] expected = {0, 0, (byte) 0x80, 0x3F, 0x00, 0x3C, 0x00, (byte) 0xC0, (byte) 0x80, 0x3F, 0x40, 0x40};
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], dst.get(i), "byte " + i);
        }
        assertThrows(IllegalArgumentException.class, () -> FloatCodec.encode(new float[2], DType.F32, dst));
        assertThrows(IllegalArgumentException.class, () -> FloatCodec.encode(new float[1], DType.I32, dst));
    }

    /**
     * The bulk decoder against bit patterns worked out by hand: bf16 0x3F80 = 1.0, 0xC040 = −3.0, 0x0001 = 2^-133
     * (smallest subnormal); f16 0x3C00 = 1.0, 0xC500 = −5.0, 0x0001 = 2^-24, 0x7BFF = 65504 (largest), 0x7C00 = +∞;
     * f64 0x3FB999999999999A = 0.1 (narrowed to the float nearest 0.1); f32 0x40490FDB = 3.1415927.
     */
    @Test
    void decodeReadsLittleEndianBitPatterns() {
        ByteBuffer bf16 = le(2 * 4).putShort((short) 0x3F80).putShort((short) 0xC040).putShort((short) 0x0001)
                .putShort((short) 0x8000).flip();
        float[] out = new float[6];
        FloatCodec.decode(DType.BF16, bf16, out, 1, 4, new short[3]);        // scratch shorter than the count
        assertEquals(1.0f, out[1]);
        assertEquals(-3.0f, out[2]);
        assertEquals(0x1p-133f, out[3]);
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(out[4]), "negative zero kept");
        assertEquals(0f, out[0], "nothing written before off");
        assertEquals(0f, out[5], "nothing written after off + count");
        assertEquals(8, bf16.position(), "the source advances past what was decoded");

        ByteBuffer f16 = le(2 * 5).putShort((short) 0x3C00).putShort((short) 0xC500).putShort((short) 0x0001)
                .putShort((short) 0x7BFF).putShort((short) 0x7C00).flip();
        float[] h = new float[5];
        FloatCodec.decode(DType.F16, f16, h, 0, 5, null);
        assertEquals(1.0f, h[0]);
        assertEquals(-5.0f, h[1]);
        assertEquals(0x1p-24f, h[2]);
        assertEquals(65504f, h[3]);
        assertEquals(Float.POSITIVE_INFINITY, h[4]);

        ByteBuffer f64 = le(8 + 4).putLong(0x3FB999999999999AL).putInt(0x40490FDB).flip();
        float[] d = new float[1];
        FloatCodec.decode(DType.F64, f64, d, 0, 1, null);
        assertEquals(0.1f, d[0]);
        assertEquals(8, f64.position());
        FloatCodec.decode(DType.F32, f64, d, 0, 1, null);                    // continues where F64 stopped
        assertEquals(3.1415927f, d[0]);
        assertEquals(ByteOrder.LITTLE_ENDIAN, f64.order());

        ByteBuffer big = ByteBuffer.allocate(2).order(ByteOrder.BIG_ENDIAN).put((byte) 0x80).put((byte) 0x3F).flip();
        float[] one = new float[1];
        FloatCodec.decode(DType.BF16, big, one, 0, 1, null);
        assertEquals(1.0f, one[0], "bytes are read little-endian whatever the buffer's order");
        assertEquals(ByteOrder.BIG_ENDIAN, big.order(), "and the buffer's order is left alone");
        assertThrows(IllegalStateException.class, () -> FloatCodec.decode(DType.I64, le(8), new float[1], 0, 1, null));
    }

    private static ByteBuffer le(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }
}
