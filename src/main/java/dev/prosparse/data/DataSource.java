package dev.prosparse.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.util.Errors;
import dev.prosparse.util.Hashing;
import dev.prosparse.util.Json;
import dev.prosparse.util.Listing;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Where documents come from: a JSONL file (one JSON object per line, text in {@code field}), the same
 * gzipped ({@code .jsonl.gz}), a plain text file (one document per blank-line-separated block, {@code .txt}
 * or {@code .txt.gz}), or the corpus embedded in the jar ({@code embedded:train}, {@code embedded:valid}).
 */
public record DataSource(String spec, String field, String specName, String fieldAdvice, boolean lossyUtf8) {
    public static final String EMBEDDED_TRAIN = "embedded:train";
    public static final String EMBEDDED_VALID = "embedded:valid";
    private static final String RESOURCE_DIR = "/dev/prosparse/data/";

    /**
     * @param specName    how the user named the data in messages: "--data" (report) or a recipe key ("data.train")
     * @param fieldAdvice how to choose another JSONL field: "--text-field NAME" or "--set data.text_field=NAME"
     * @param lossyUtf8   read bytes that are not UTF-8 as U+FFFD (and say how many) instead of refusing the file
     */
    public DataSource {
        if (field == null || field.isBlank()) {
            field = "text";
        }
        specName = specName == null ? "--data" : specName;
        fieldAdvice = fieldAdvice == null ? "--text-field NAME" : fieldAdvice;
    }

    public DataSource(String spec, String field, String specName, String fieldAdvice) {
        this(spec, field, specName, fieldAdvice, false);
    }

    /** Data named by the {@code --data} and {@code --text-field} flags. */
    public DataSource(String spec, String field) {
        this(spec, field, null, null);
    }

    /** The same data, read with lossy UTF-8 decoding or not. */
    public DataSource withLossyUtf8(boolean lossy) {
        return new DataSource(spec, field, specName, fieldAdvice, lossy);
    }

    /** Data named by a training recipe's {@code key} (data.train, data.eval) and its data.text_field. */
    public static DataSource ofRecipe(String spec, String field, String key) {
        return new DataSource(spec, field, key, "--set data.text_field=NAME (or data.text_field in the recipe)");
    }

    public static DataSource of(String spec) {
        return new DataSource(spec, "text");
    }

    public boolean embedded() {
        return spec.startsWith("embedded:");
    }

    private String resourceName() {
        switch (spec) {
            case EMBEDDED_TRAIN:
                return "train.jsonl.gz";
            case EMBEDDED_VALID:
                return "valid.jsonl";
            default:
                throw ProsparseException.usage(specName + " " + spec + ": unknown embedded data set; use "
                        + EMBEDDED_TRAIN + " or " + EMBEDDED_VALID + ", or a path to a .jsonl, .jsonl.gz or .txt file");
        }
    }

    private String fileName() {
        return embedded() ? resourceName() : Path.of(spec).getFileName().toString();
    }

    private InputStream open() throws IOException {
        if (embedded()) {
            InputStream in = DataSource.class.getResourceAsStream(RESOURCE_DIR + resourceName());
            if (in == null) {
                throw new IOException("embedded resource " + resourceName() + " missing from the jar");
            }
            return in;
        }
        Path p = Path.of(spec);
        if (Files.isDirectory(p)) {
            throw ProsparseException.usage(specName + " " + spec + " is a folder; give a .jsonl, .jsonl.gz or .txt file");
        }
        return Files.newInputStream(p);
    }

    /** sha256 of the raw file bytes: identifies the data in reports and token caches. */
    public String sha256() {
        try (InputStream in = open()) {
            return Hashing.sha256(in);
        } catch (NoSuchFileException e) {
            throw missing();
        } catch (IOException e) {
            throw ProsparseException.io("Cannot read data " + spec + ": " + Errors.describe(e), e);
        }
    }

    /** All documents, in file order. Empty documents are skipped; no documents at all is an error. */
    public List<String> readDocuments() {
        return read(Integer.MAX_VALUE);
    }

    /**
     * Checks, cheaply, that the data can be read: the file exists and has a known type, and its first document
     * reads (for JSONL: the first line is JSON with the text field). Later lines are checked as they are read.
     */
    public void check() {
        read(1);
    }

    /** The first {@code limit} documents (reading stops there). */
    private List<String> read(int limit) {
        String name = fileName();
        boolean gz = name.endsWith(".gz");
        String base = gz ? name.substring(0, name.length() - 3) : name;
        boolean jsonl = base.endsWith(".jsonl") || base.endsWith(".json");
        boolean txt = base.endsWith(".txt") || base.endsWith(".md");
        if (!jsonl && !txt) {
            throw ProsparseException.usage(specName + " " + spec + ": unknown file type; use .jsonl, .jsonl.gz, .txt or .txt.gz");
        }
        List<String> docs = new ArrayList<>();
        try (InputStream raw = open();
                InputStream in = gz ? new GZIPInputStream(raw, 1 << 16) : raw;
                java.io.BufferedInputStream buffered = new java.io.BufferedInputStream(in, 1 << 16)) {
            Utf8Lines r = new Utf8Lines(buffered, spec, lossyUtf8, specName.startsWith("--")
                    ? "--lossy-utf8" : "--set data.lossy_utf8=true (or data.lossy_utf8 in the recipe)");
            if (jsonl) {
                readJsonl(r, docs, limit);
            } else {
                readBlocks(r, docs, limit);
            }
            if (r.replaced() > 0) {
                org.slf4j.LoggerFactory.getLogger(DataSource.class).warn("{}: {} byte sequences that are not UTF-8 were"
                        + " read as U+FFFD (lossy decoding)", spec, r.replaced());
            }
        } catch (NoSuchFileException e) {
            throw missing();
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw ProsparseException.data("Data file " + spec + " is not a valid gzip file (" + e.getMessage()
                    + "); it may be truncated");
        } catch (IOException e) {
            throw ProsparseException.io("Cannot read data " + spec + ": " + Errors.describe(e), e);
        }
        if (docs.isEmpty()) {
            throw ProsparseException.data("Data file " + spec + " holds no documents"
                    + (jsonl ? " (no line with a non-empty \"" + field + "\" field)" : " (the file is empty)"));
        }
        return docs;
    }

    private void readJsonl(Utf8Lines r, List<String> docs, int limit) throws IOException {
        int lineNo = 0;
        for (String line; docs.size() < limit && (line = r.next()) != null; ) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = Json.MAPPER.readTree(line);
            } catch (JsonProcessingException e) {
                throw ProsparseException.data(spec + " line " + lineNo + " is not valid JSON: " + e.getOriginalMessage());
            }
            JsonNode text = node == null ? null : node.get(field);
            if (text == null || !text.isTextual()) {
                throw ProsparseException.data(spec + " line " + lineNo + " has no string field \"" + field
                        + "\"; choose the field with " + fieldAdvice + " (fields there: " + fieldNames(node) + ")");
            }
            if (!text.asText().isEmpty()) {
                docs.add(text.asText());
            }
        }
    }

    private static String fieldNames(JsonNode node) {
        if (node == null || !node.isObject()) {
            return "none, the line is not an object";
        }
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return String.join(", ", names);
    }

    private static void readBlocks(Utf8Lines r, List<String> docs, int limit) throws IOException {
        StringBuilder block = new StringBuilder();
        for (String line; docs.size() < limit && (line = r.next()) != null; ) {
            if (line.isBlank()) {
                flush(block, docs);
            } else {
                if (block.length() > 0) {
                    block.append('\n');
                }
                block.append(line);
            }
        }
        flush(block, docs);
    }

    private static void flush(StringBuilder block, List<String> docs) {
        if (block.length() > 0) {
            docs.add(block.toString());
            block.setLength(0);
        }
    }

    private ProsparseException missing() {
        Path p = Path.of(spec).toAbsolutePath();
        return ProsparseException.usage(specName + " " + spec + ": file not found" + Listing.nearby(p));
    }

    @Override
    public String toString() {
        return spec;
    }
}
