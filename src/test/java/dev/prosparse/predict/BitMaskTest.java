package dev.prosparse.predict;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Slices (word-aligned and not) and unpacking of the bit labels agree with a plain boolean[] of the same bits. */
class BitMaskTest {

    @Test
    void slicesAndUnpackMatchABooleanArray() {
        SplittableRandom r = new SplittableRandom(3);
        boolean[] ref = new boolean[1000];
        for (int i = 0; i < ref.length; i++) {
            ref[i] = r.nextInt(3) == 0;
        }
        BitMask m = BitMask.of(ref);
        long[][] ranges = {{0, 1000}, {64, 700}, {128, 192}, {0, 5}, {64, 1000}, {3, 999}, {65, 66}, {640, 640}};
        for (long[] ft : ranges) {
            BitMask s = m.slice(ft[0], ft[1]);
            assertEquals(ft[1] - ft[0], s.size());
            long ones = 0;
            for (long i = ft[0]; i < ft[1]; i++) {
                assertEquals(ref[(int) i], s.get(i - ft[0]), "bit " + i + " of slice " + ft[0] + ".." + ft[1]);
                ones += ref[(int) i] ? 1 : 0;
            }
            assertEquals(ones, s.count(), "count of slice " + ft[0] + ".." + ft[1] + " (no bits past its end)");
        }
        byte[] u = new byte[77];
        m.unpack(101, u);
        for (int k = 0; k < u.length; k++) {
            assertEquals(ref[101 + k] ? 1 : 0, u[k], "unpacked bit " + (101 + k));
        }
    }
}
