package dev.prosparse.util;

import java.util.Locale;

/** Counts with their noun in the right number, for messages and reports: "1 window", "64 windows". */
public final class Plural {
    private Plural() {}

    /** {@code n} and the noun, plural unless n is 1 (English nouns that take an "s"). */
    public static String of(long n, String singular) {
        return String.format(Locale.ROOT, "%d %s", n, n == 1 ? singular : singular + "s");
    }
}
