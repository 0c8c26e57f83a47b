package dev.prosparse.predict;

/**
 * A fixed-size set of booleans packed 64 to a long, indexed by long: the labels 1[x1 ≠ 0] of (row, neuron) pairs
 * take one bit each (a 7B layer's 400k rows × 11008 neurons: 550 MB as bits, 4.4 GB as boolean[], 17.6 GB as
 * floats), and their count may pass 2^31.
 */
public final class BitMask {
    private final long size;
    private final long[] words;

    public BitMask(long size) {
        if (size < 0 || (size + 63) / 64 > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("BitMask size " + size + " out of range");
        }
        this.size = size;
        this.words = new long[(int) ((size + 63) / 64)];
    }

    public static BitMask of(boolean[] values) {
        BitMask m = new BitMask(values.length);
        for (int i = 0; i < values.length; i++) {
            if (values[i]) {
                m.set(i);
            }
        }
        return m;
    }

    public long size() {
        return size;
    }

    public boolean get(long i) {
        return (words[(int) (i >>> 6)] & (1L << i)) != 0;       // 1L << i uses the low 6 bits of i
    }

    public void set(long i) {
        words[(int) (i >>> 6)] |= 1L << i;
    }

    /** The number of set bits. */
    public long count() {
        long c = 0;
        for (long w : words) {
            c += Long.bitCount(w);
        }
        return c;
    }

    /** Bits [from, from + dst.length) as 0/1 bytes into {@code dst}. */
    public void unpack(long from, byte[] dst) {
        for (int k = 0; k < dst.length; k++) {
            long i = from + k;
            dst[k] = (byte) ((words[(int) (i >>> 6)] >>> i) & 1L);   // >>> i uses the low 6 bits of i
        }
    }

    /** Bits [from, to) as a new mask (whole words when {@code from} is a multiple of 64, as a 7B layer's rows are). */
    public BitMask slice(long from, long to) {
        BitMask m = new BitMask(to - from);
        if ((from & 63) == 0) {
            System.arraycopy(words, (int) (from >>> 6), m.words, 0, m.words.length);
            int tail = (int) ((to - from) & 63);
            if (tail != 0) {
                m.words[m.words.length - 1] &= (1L << tail) - 1;          // bits past `to` are not the slice's
            }
            return m;
        }
        for (long i = from; i < to; i++) {
            if (get(i)) {
                m.set(i - from);
            }
        }
        return m;
    }
}
