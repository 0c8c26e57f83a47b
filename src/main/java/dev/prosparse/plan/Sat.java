package dev.prosparse.plan;

/**
 * Saturating arithmetic for byte counts: absurd sizes (batch_size × seq_len × … past 2⁶³) give {@link Long#MAX_VALUE},
 * which no memory holds, instead of wrapping round to a small or negative figure.
 */
final class Sat {
    private Sat() {}

    static long mul(long... xs) {
        long r = 1;
        for (long x : xs) {
            if (x < 0) {
                throw new IllegalArgumentException("negative size " + x);
            }
            if (x != 0 && r > Long.MAX_VALUE / x) {
                r = Long.MAX_VALUE;
                for (long y : xs) {
                    if (y == 0) {
                        return 0;
                    }
                }
                return r;
            }
            r *= x;
        }
        return r;
    }

    static long add(long... xs) {
        long r = 0;
        for (long x : xs) {
            r = r > Long.MAX_VALUE - x ? Long.MAX_VALUE : r + x;
        }
        return r;
    }

    static boolean saturated(long x) {
        return x == Long.MAX_VALUE;
    }
}
