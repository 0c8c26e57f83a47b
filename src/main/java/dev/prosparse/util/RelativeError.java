package dev.prosparse.util;

/** The relative L2 error the project's checks use everywhere: ‖a − b‖ / ‖b‖, accumulated in double. */
public final class RelativeError {
    private RelativeError() {}

    /** ‖actual − reference‖₂ / ‖reference‖₂ over equally long arrays. */
    public static double of(float[] actual, float[] reference) {
        if (actual.length != reference.length) {
            throw new IllegalArgumentException("lengths differ: " + actual.length + " vs " + reference.length);
        }
        double num = 0, den = 0;
        for (int i = 0; i < reference.length; i++) {
            double d = (double) actual[i] - reference[i];
            num += d * d;
            den += (double) reference[i] * reference[i];
        }
        return Math.sqrt(num / den);
    }
}
