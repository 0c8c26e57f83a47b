package dev.prosparse.util;

import dev.prosparse.ProsparseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes as people and transformers write them: 5GB (10^9), 500MB, 2GiB (2^30), or plain bytes. */
public final class ByteSize {
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]i?b?|b)?");

    private ByteSize() {}

    /** Parses {@code --max-shard-size}; {@code what} names the flag in errors. */
    public static long parse(String s, String what) {
        Matcher m = SIZE.matcher(s == null ? "" : s.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw ProsparseException.usage(what + " " + s + ": not a size; write it like 5GB, 500MB or 2GiB");
        }
        double n = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2);
        boolean binary = unit.contains("i");
        double base = binary ? 1024 : 1000;
        int power = "bkmgt".indexOf(unit.charAt(0));
        double bytes = n * Math.pow(base, power);
        if (bytes < 1 || bytes > 1e15) {
            throw ProsparseException.usage(what + " " + s + ": must be between 1 byte and 1 PB (for example 5GB)");
        }
        return (long) bytes;
    }

    /** "13.48 GB", "512.0 MB", "3.1 kB"; "? bytes" for a size that is not known (negative). */
    public static String format(long bytes) {
        if (bytes < 0) {
            return "? bytes";
        }
        if (bytes < 1_000_000) {
            return String.format(Locale.ROOT, "%.1f kB", bytes / 1e3);
        }
        if (bytes < 1_000_000_000) {
            return String.format(Locale.ROOT, "%.1f MB", bytes / 1e6);
        }
        return String.format(Locale.ROOT, "%.2f GB", bytes / 1e9);
    }
}
