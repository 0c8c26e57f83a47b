package dev.prosparse.util;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads one of a closed set of names (a recipe key such as {@code precision} or {@code optimizer.offload}): the value
 * is trimmed and compared without case to each constant's name; an unknown value is refused with the valid names.
 */
public final class ClosedNames {
    private ClosedNames() {
    }

    /** The constant whose name is {@code s} (trimmed, any case), if there is one. */
    public static <E> Optional<E> find(E[] values, Function<E, String> name, String s) {
        String v = s == null ? "" : s.trim().toLowerCase(Locale.ROOT);
        for (E e : values) {
            if (name.apply(e).equals(v)) {
                return Optional.of(e);
            }
        }
        return Optional.empty();
    }

    /** The constant whose name is {@code s}; otherwise "must be a, b or c, got 's'". */
    public static <E> E parse(E[] values, Function<E, String> name, String s) {
        return find(values, name, s).orElseThrow(() -> unknown(values, name, s));
    }

    /** The refusal of {@code s}: "must be a, b or c, got 's'". */
    public static <E> IllegalArgumentException unknown(E[] values, Function<E, String> name, String s) {
        List<String> names = java.util.Arrays.stream(values).map(name).toList();
        String all = names.size() == 1 ? names.get(0)
                : String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
        return new IllegalArgumentException("must be " + all + ", got '" + s + "'");
    }
}
