package dev.prosparse.util;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;

/**
 * Quoting of file content inside error messages. A tensor name, dtype or shard name comes from the file being
 * rejected and may be megabytes long or hold line breaks; messages stay one line of bounded length.
 */
public final class Messages {

    /** Longest quoted value; longer ones are cut with "...". HF tensor names are well below this. */
    public static final int MAX_QUOTED = 100;

    private Messages() {
    }

    /** {@code 'value'} with control characters escaped JSON-style and the middle cut if too long. */
    public static String quote(String value) {
        return "'" + printable(value, MAX_QUOTED) + "'";
    }

    /** {@code value} with control characters and lone surrogates escaped and at most {@code max} characters (plus "..."). */
    public static String printable(String value, int max) {
        StringBuilder b = new StringBuilder(Math.min(value.length(), max) + 8);
        for (int i = 0; i < value.length(); i++) {
            if (b.length() >= max) {
                return b.append("...").toString();
            }
            char c = value.charAt(i);
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x7F || c == '\u2028' || c == '\u2029' || c == '\u0085'
                            || (Character.isSurrogate(c) && !pairedAt(value, i))) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        return b.toString();
    }

    /**
     * Whether {@code s} holds a UTF-16 surrogate without its partner (JSON text can spell one as a
     * {@code \\uXXXX} escape). UTF-8 cannot encode it: written out it becomes '?', so such a name never
     * survives a round trip.
     */
    public static boolean loneSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (Character.isSurrogate(s.charAt(i)) && !pairedAt(s, i)) {
                return true;
            }
        }
        return false;
    }

    /** Whether the surrogate at {@code i} is half of a valid high-low pair. */
    private static boolean pairedAt(String s, int i) {
        char c = s.charAt(i);
        return Character.isHighSurrogate(c) ? i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))
                : i > 0 && Character.isHighSurrogate(s.charAt(i - 1));
    }

    /**
     * Jackson's description of a syntax error without its internals (the "[Source: REDACTED ...]" part), with
     * the line and column where it was found.
     */
    public static String jsonProblem(JsonProcessingException e) {
        String m = String.valueOf(e.getOriginalMessage());
        if (m.startsWith("Trailing token")) {
            m = "more text follows the top-level value";
        }
        m = m.replaceAll("\\s*\\((?:start marker at |for root starting at )?\\[Source: [^\\]]*\\]\\)", "")
                .replaceAll("\\s*\\[Source: [^\\]]*\\]", "");
        JsonLocation at = e.getLocation();
        String where = at != null && at.getLineNr() > 0 ? " at line " + at.getLineNr() + ", column " + at.getColumnNr() : "";
        return printable(m, 200) + where;
    }

    /** Which Jackson size limit (nesting depth, number, string or key length) the input broke, in words. */
    public static String limitHit(StreamConstraintsException e) {
        String m = String.valueOf(e.getOriginalMessage());
        StreamReadConstraints limits = Json.MAPPER.getFactory().streamReadConstraints();
        if (m.contains("nesting depth")) {
            return "nests JSON deeper than " + limits.getMaxNestingDepth() + " levels";
        }
        if (m.startsWith("Number value length") || m.startsWith("Number length")) {
            return "has a number with more than " + limits.getMaxNumberLength() + " digits";
        }
        if (m.startsWith("String value length") || m.startsWith("String length")) {
            return "has a string longer than " + limits.getMaxStringLength() + " characters";
        }
        if (m.startsWith("Name length") || m.startsWith("Name value length")) {
            return "has a key longer than " + limits.getMaxNameLength() + " characters";
        }
        return "exceeds a JSON size limit (" + printable(m, 200) + ")";
    }
}
