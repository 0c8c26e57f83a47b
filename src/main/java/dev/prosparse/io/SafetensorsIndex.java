package dev.prosparse.io;

import dev.prosparse.util.AtomicFiles;
import dev.prosparse.util.Messages;
import dev.prosparse.util.Json;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.ProsparseException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * The {@code model.safetensors.index.json} of a sharded checkpoint:
 * {@code {"metadata": {"total_size": N, ...}, "weight_map": {tensor: shard file name}}}.
 */
public final class SafetensorsIndex {

    /** Conventional file name of the index. */
    public static final String FILE_NAME = "model.safetensors.index.json";

    private static final String TOTAL_SIZE = "total_size";

    private final Map<String, String> weightMap;
    private final Map<String, Object> metadata;

    private SafetensorsIndex(Map<String, String> weightMap, Map<String, Object> metadata) {
        this.weightMap = Collections.unmodifiableMap(new LinkedHashMap<>(weightMap));
        this.metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /**
     * A new index mapping each tensor to a shard file name; {@code totalSize} is the summed tensor byte size.
     * Throws IllegalArgumentException for a shard name that is not a plain file name.
     */
    public static SafetensorsIndex of(Map<String, String> weightMap, long totalSize) {
        weightMap.forEach((tensor, shard) -> {
            String problem = Messages.loneSurrogate(tensor) ? "the tensor name holds a lone UTF-16 surrogate"
                    : shardNameProblem(shard) == null ? null : "the shard name " + shardNameProblem(shard);
            if (problem != null) {
                throw new IllegalArgumentException("tensor " + Messages.quote(tensor) + " -> shard "
                        + Messages.quote(shard) + ": " + problem);
            }
        });
        return new SafetensorsIndex(weightMap, Map.of(TOTAL_SIZE, totalSize));
    }

    /** Reads and validates an index file; other metadata keys are kept. */
    public static SafetensorsIndex read(Path indexFile) {
        JsonNode root;
        try {
            if (Files.size(indexFile) > SafetensorsHeader.MAX_HEADER_BYTES) {
                throw bad(indexFile, "is larger than 100 MB, so it is not a checkpoint index");
            }
            // decoded strictly as UTF-8 first: given bytes, Jackson guesses UTF-16/32 from zero bytes and then
            // fails with a CharConversionException, an IOException that would read as a disk problem
            root = Json.DOCUMENT.readTree(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Files.readAllBytes(indexFile)))
                    .toString());
        } catch (NoSuchFileException e) {
            throw ProsparseException.checkpoint(indexFile + " does not exist; check the checkpoint path.");
        } catch (CharacterCodingException e) {
            throw bad(indexFile, "is not valid UTF-8 text");
        } catch (StreamConstraintsException e) {
            throw bad(indexFile, Messages.limitHit(e));
        } catch (JsonProcessingException e) {
            throw bad(indexFile, "is not valid JSON (" + Messages.jsonProblem(e) + ")");
        } catch (IOException e) {
            throw ProsparseException.io("Reading " + indexFile + " failed: " + e.getMessage() + "; check permissions.", e);
        }
        if (root == null || !root.isObject()) {
            throw bad(indexFile, "is not a JSON object");
        }
        JsonNode map = root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw bad(indexFile, "has no \"weight_map\" object");
        }
        Map<String, String> weightMap = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            JsonNode shard = e.getValue();
            String key = "weight_map key " + Messages.quote(e.getKey());
            if (Messages.loneSurrogate(e.getKey())) {
                // UTF-8 cannot encode it: written back it would become '?' and name another tensor
                throw bad(indexFile, "has " + key + ", a tensor name holding a lone UTF-16 surrogate (an invalid \\u escape)");
            }
            if (!shard.isTextual()) {
                throw bad(indexFile, "maps " + key + " to " + Messages.printable(shard.toString(), Messages.MAX_QUOTED)
                        + ", which is not a shard file name (a JSON string)");
            }
            String problem = shardNameProblem(shard.textValue());
            if (problem != null) {
                throw bad(indexFile, "maps " + key + " to " + Messages.quote(shard.textValue())
                        + ", which is not a plain shard file name: it " + problem);
            }
            weightMap.put(e.getKey(), shard.textValue());
        }
        JsonNode meta = root.get("metadata");
        if (meta != null && !meta.isObject() && !meta.isNull()) {
            throw bad(indexFile, "has a \"metadata\" entry that is not a JSON object");
        }
        Map<String, Object> metadata = meta == null || meta.isNull() ? Map.of()
                : Json.MAPPER.convertValue(meta, new TypeReference<LinkedHashMap<String, Object>>() { });
        JsonNode total = meta == null ? null : meta.get(TOTAL_SIZE);
        if (total != null && !Json.isNonNegativeLong(total)) {
            throw bad(indexFile, "has metadata.total_size " + Messages.printable(total.toString(), 60)
                    + ", expected a non-negative integer");
        }
        return new SafetensorsIndex(weightMap, metadata);
    }

    /** Tensor name to shard file name, in file order. */
    public Map<String, String> weightMap() {
        return weightMap;
    }

    /** Distinct shard file names in order of first appearance. */
    public List<String> shardNames() {
        return List.copyOf(new LinkedHashSet<>(weightMap.values()));
    }

    /** The {@code metadata} object (JSON values as Jackson maps them: Number, String, Map, List, ...). */
    public Map<String, Object> metadata() {
        return metadata;
    }

    /** {@code metadata.total_size}, if present. */
    public OptionalLong totalSize() {
        Object v = metadata.get(TOTAL_SIZE);
        return v instanceof Number n ? OptionalLong.of(n.longValue()) : OptionalLong.empty();
    }

    /** The index as 2-space indented JSON text in UTF-8, the content {@link #write} writes. */
    public byte[] toJson() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.set("metadata", Json.MAPPER.valueToTree(metadata));
        ObjectNode map = root.putObject("weight_map");
        weightMap.forEach(map::put);
        try {
            return (Json.PRETTY.writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("serializing a JSON tree cannot fail", e);
        }
    }

    /** Writes the index atomically as 2-space indented JSON. */
    public void write(Path indexFile) {
        byte[] bytes = toJson();
        AtomicFiles.write(indexFile, bytes.length, ch -> ch,
                out -> SafetensorsWriter.writeFully(out, ByteBuffer.wrap(bytes)));
    }

    /**
     * Why {@code name} cannot be a shard file in the checkpoint folder, or null if it can. Refused: empty, "." and
     * "..", path separators, control characters (a line break in a file name breaks every listing and log line)
     * and lone UTF-16 surrogates (UTF-8 cannot encode them, so the name could neither be found on disk nor be
     * written back unchanged: UTF-8 output turns them into '?').
     */
    static String shardNameProblem(String name) {
        if (name.isEmpty() || name.equals(".") || name.equals("..")) {
            return "is empty, '.' or '..'";
        }
        if (name.indexOf('/') >= 0 || name.indexOf('\\') >= 0) {
            return "holds a path separator ('/' or '\\'); shards must sit beside the index";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c < 0x20 || (c >= 0x7F && c <= 0x9F)) {
                return "holds the control character " + String.format("\\u%04x", (int) c);
            }
        }
        if (Messages.loneSurrogate(name)) {
            return "holds a lone UTF-16 surrogate (an invalid \\u escape), which no file name can hold";
        }
        return null;
    }

    private static ProsparseException bad(Path file, String problem) {
        return ProsparseException.checkpoint(file + " " + problem + "; re-download the checkpoint's index file.");
    }
}
