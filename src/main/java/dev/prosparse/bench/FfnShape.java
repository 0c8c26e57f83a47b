package dev.prosparse.bench;

import dev.prosparse.ProsparseException;

/** An FFN block's size: hidden (E) × intermediate (I), for example LLaMA-2-7B's 4096x11008. */
public record FfnShape(int hidden, int intermediate) {

    /** Parses {@code EXI} ("4096x11008"); E must be a multiple of 16 (rows stay 64-byte multiples: whole AVX-512 registers). */
    public static FfnShape parse(String s) {
        String[] p = s == null ? new String[0] : s.trim().toLowerCase(java.util.Locale.ROOT).split("x");
        try {
            if (p.length == 2) {
                FfnShape shape = new FfnShape(Integer.parseInt(p[0]), Integer.parseInt(p[1]));
                if (shape.hidden() >= 16 && shape.hidden() % 16 == 0 && shape.intermediate() >= 1
                        && (long) shape.hidden() * shape.intermediate() < Integer.MAX_VALUE) {
                    return shape;
                }
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw ProsparseException.usage("--shape " + s + ": expected HIDDENxINTERMEDIATE with hidden a multiple of 16 and"
                + " hidden·intermediate < 2^31, for example --shape 4096x11008 (LLaMA-2-7B)");
    }

    @Override
    public String toString() {
        return hidden + "x" + intermediate;
    }
}
