package dev.prosparse.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import dev.prosparse.ProsparseException;
import dev.prosparse.util.Messages;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Checks a recipe's YAML tree against the shape of {@link Recipe} (its records, read by reflection) before
 * Jackson binds it, so that a mistake anywhere — inside a list of stages too — is reported in our words: which
 * key is unknown (with the closest valid key), which is missing, which value has the wrong type. Jackson's own
 * messages ("Missing creator property 'l1_lambda' (index 2)") name the wrong key for a typo and quote its
 * internals. Value ranges are {@link Recipe#validate}'s job, after binding.
 */
final class RecipeSchema {

    /** At most this many problems in one message (it stays one line). */
    private static final int MAX_PROBLEMS = 3;

    private static final PropertyNamingStrategies.NamingBase SNAKE =
            (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;

    private RecipeSchema() {
    }

    /** Throws a usage error naming every problem (up to three) of {@code tree} as a {@link Recipe}. */
    static void check(JsonNode tree, String source) {
        List<String> problems = new ArrayList<>();
        record(Recipe.class, tree, "", problems);
        if (!problems.isEmpty()) {
            String shown = problems.stream().limit(MAX_PROBLEMS).collect(Collectors.joining("; "));
            int more = problems.size() - MAX_PROBLEMS;
            throw ProsparseException.usage(source + ": " + shown + (more > 0 ? "; and " + more + " more" : ""));
        }
    }

    /** The YAML keys of a record type, in declaration order, with their Java types. */
    static Map<String, Type> keys(Class<?> type) {
        Map<String, Type> keys = new LinkedHashMap<>();
        for (RecordComponent c : type.getRecordComponents()) {
            keys.put(SNAKE.translate(c.getName()), c.getGenericType());
        }
        return keys;
    }

    private static void record(Class<?> type, JsonNode node, String path, List<String> problems) {
        Map<String, Type> keys = keys(type);
        if (!node.isObject()) {
            problems.add((path.isEmpty() ? "the recipe" : "key '" + path + "'") + " must be a mapping with the keys "
                    + String.join(", ", keys.keySet()) + ", got " + describe(node));
            return;
        }
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (!keys.containsKey(k)) {
                String near = closest(k, keys.keySet());
                problems.add("unknown key '" + join(path, k) + "'" + (near != null ? " (did you mean '" + near + "'?)" : "")
                        + "; valid keys there: " + String.join(", ", keys.keySet()));
            }
        }
        for (Map.Entry<String, Type> e : keys.entrySet()) {
            JsonNode v = node.get(e.getKey());
            if (v == null) {
                problems.add("missing key '" + join(path, e.getKey()) + "' (" + expected(e.getValue()) + ")");
            } else {
                value(e.getValue(), v, join(path, e.getKey()), problems);
            }
        }
    }

    private static void value(Type type, JsonNode node, String path, List<String> problems) {
        Class<?> raw = raw(type);
        if (node.isNull()) {
            if (raw.isPrimitive()) {
                problems.add("key '" + path + "' must be " + expected(type) + ", got null");
            }
            return; // a nullable key: whether null is allowed there is Recipe.validate's call
        }
        if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class) {
            Long v = wholeNumber(node);
            boolean isInt = raw == int.class || raw == Integer.class;
            if (v == null || (isInt && (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE))) {
                problems.add(wrongType(path, type, node));
            }
        } else if (raw == double.class || raw == Double.class) {
            if (number(node) == null) {
                problems.add(wrongType(path, type, node));
            }
        } else if (raw == String.class) {
            if (node.isContainerNode()) {
                problems.add(wrongType(path, type, node));
            }
        } else if (raw == boolean.class || raw == Boolean.class) {
            if (!node.isBoolean()) {
                problems.add(wrongType(path, type, node));
            }
        } else if (raw.isEnum()) {
            if (!node.isTextual() || Arrays.stream(raw.getEnumConstants()).noneMatch(
                    c -> ((Enum<?>) c).name().equalsIgnoreCase(node.textValue())
                            || enumYaml((Enum<?>) c).equalsIgnoreCase(node.textValue()))) {
                problems.add(wrongType(path, type, node));
            }
        } else if (raw == List.class) {
            if (!node.isArray()) {
                problems.add(wrongType(path, type, node));
                return;
            }
            Type item = ((ParameterizedType) type).getActualTypeArguments()[0];
            for (int i = 0; i < node.size(); i++) {
                value(item, node.get(i), join(path, String.valueOf(path.equals("stages") ? i + 1 : i)), problems); // stages count from 1
            }
        } else if (raw.isRecord()) {
            record(raw, node, path, problems);
        } else {
            throw new IllegalStateException("recipe key " + path + " has a type the schema does not know: " + type);
        }
    }

    private static String wrongType(String path, Type type, JsonNode node) {
        return "key '" + path + "' must be " + expected(type) + ", got " + describe(node);
    }

    /** What a key of this type holds, in words. */
    static String expected(Type type) {
        Class<?> raw = raw(type);
        if (raw == int.class || raw == Integer.class || raw == long.class || raw == Long.class) {
            return "a whole number";
        } else if (raw == double.class || raw == Double.class) {
            return "a number";
        } else if (raw == String.class) {
            return "a text value";
        } else if (raw == boolean.class || raw == Boolean.class) {
            return "true or false";
        } else if (raw.isEnum()) {
            return "one of " + Arrays.stream(raw.getEnumConstants()).map(c -> enumYaml((Enum<?>) c))
                    .collect(Collectors.joining(", "));
        } else if (raw == List.class) {
            Type item = ((ParameterizedType) type).getActualTypeArguments()[0];
            return raw(item).isRecord() ? "a list of mappings with the keys " + String.join(", ", keys(raw(item)).keySet())
                    : "a list of " + expected(item).replaceFirst("^an? ", "") + "s";
        } else if (raw.isRecord()) {
            return "a mapping with the keys " + String.join(", ", keys(raw).keySet());
        }
        return type.getTypeName();
    }

    private static String enumYaml(Enum<?> c) {
        try {
            Method yaml = c.getDeclaringClass().getMethod("yaml");
            return String.valueOf(yaml.invoke(c));
        } catch (NoSuchMethodException | IllegalAccessException | InvocationTargetException e) {
            return c.name().toLowerCase(Locale.ROOT);
        }
    }

    private static Class<?> raw(Type type) {
        return type instanceof ParameterizedType p ? (Class<?>) p.getRawType() : (Class<?>) type;
    }

    /** A whole number written as a number or as text ("8"), else null. */
    private static Long wholeNumber(JsonNode node) {
        if (node.isIntegralNumber() && node.canConvertToLong()) {
            return node.longValue();
        }
        Double d = number(node);
        return d != null && d == Math.rint(d) && Math.abs(d) < 0x1p53 ? (long) (double) d : null;
    }

    /** A finite number written as a number or as text ("2e-5", which YAML reads as text), else null. */
    private static Double number(JsonNode node) {
        double d;
        if (node.isNumber()) {
            d = node.doubleValue();
        } else if (node.isTextual()) {
            try {
                d = Double.parseDouble(node.textValue().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        } else {
            return null;
        }
        return Double.isFinite(d) ? d : null;
    }

    private static String describe(JsonNode node) {
        if (node.isObject()) {
            return "a mapping";
        } else if (node.isArray()) {
            return "a list";
        } else if (node.isTextual()) {
            return "the text " + Messages.quote(node.textValue());
        }
        return Messages.printable(node.asText(), 60);
    }

    private static String join(String path, String key) {
        return path.isEmpty() ? key : path + "." + key;
    }

    /** The valid key closest to a typo (edit distance ≤ 2, or equal but for case and separators), else null. */
    static String closest(String typo, Iterable<String> valid) {
        String best = null;
        int bestDistance = 3;
        String plain = typo.toLowerCase(Locale.ROOT).replaceAll("[-_ ]", "");
        for (String v : valid) {
            int d = v.replace("_", "").equals(plain) ? 0 : distance(typo.toLowerCase(Locale.ROOT), v);
            if (d < bestDistance) {
                best = v;
                bestDistance = d;
            }
        }
        return best;
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
