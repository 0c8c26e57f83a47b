package dev.prosparse.util;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;

/**
 * The project's one Jackson configuration for JSON: strict and hardened against hostile files on read,
 * transformers-style on write.
 */
public final class Json {
    /** Maximum nesting depth accepted in any JSON we read. */
    public static final int MAX_DEPTH = 64;

    /**
     * Mapper whose parsers reject duplicate keys at any level and input nested deeper than {@link #MAX_DEPTH}.
     * Key canonicalization is off: Jackson's shared symbol table is corrupted by a document of ~500 keys with
     * colliding hashes ("AbAb…", "BABA…"), after which parsing valid files fails with IllegalStateException
     * (jackson-core 2.18.2; found by ParserFuzzTest, corpus file bad-hash-collision-names.safetensors).
     * Writes compact JSON (one line): use {@link #PRETTY} for files people read.
     */
    public static final ObjectMapper MAPPER = new ObjectMapper(JsonFactory.builder()
            .disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_DEPTH).build())
            .build());

    /** Reader for whole documents: as {@link #MAPPER}, and also rejects anything after the top-level value. */
    public static final ObjectReader DOCUMENT = MAPPER.reader().with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** 2-space indentation and {@code "key": value} separators, as transformers and Python's json.dumps(indent=2). */
    public static final ObjectWriter PRETTY = MAPPER.writer(new DefaultPrettyPrinter()
            .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER)));

    private Json() {}

    /**
     * One line of a JSON-lines log our own process appends to ({@code metrics.jsonl}): the object it holds, or
     * null for a blank line or one cut short by a kill (the only way such a line can be malformed).
     */
    public static JsonNode logLine(String line) {
        if (line.isBlank()) {
            return null;
        }
        try {
            JsonNode n = MAPPER.readTree(line);
            return n != null && n.isObject() ? n : null;
        } catch (JsonProcessingException e) {
            return null;
        }
    }

    /** True if {@code n} is an integral JSON number that fits a non-negative long. */
    public static boolean isNonNegativeLong(JsonNode n) {
        return n != null && n.isIntegralNumber() && n.canConvertToLong() && n.asLong() >= 0;
    }
}
