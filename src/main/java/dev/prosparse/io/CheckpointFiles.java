package dev.prosparse.io;

import dev.prosparse.util.Messages;
import dev.prosparse.ProsparseException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The weight files of a HuggingFace checkpoint folder: either one {@code model.safetensors} or the shards
 * listed by {@code model.safetensors.index.json}. Closing it closes every shard.
 */
public final class CheckpointFiles implements AutoCloseable {

    /** Conventional name of a single-file checkpoint. */
    public static final String SINGLE_FILE = "model.safetensors";

    private final Path dir;
    private final List<SafetensorsFile> shards;
    private final SafetensorsIndex index;
    private final Map<String, SafetensorsFile> owner;

    private CheckpointFiles(Path dir, List<SafetensorsFile> shards, SafetensorsIndex index,
                            Map<String, SafetensorsFile> owner) {
        this.dir = dir;
        this.shards = List.copyOf(shards);
        this.index = index;
        this.owner = Collections.unmodifiableMap(owner);
    }

    /** Opens the checkpoint in {@code dir}, validating every header and, if sharded, the index against them. */
    public static CheckpointFiles open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw ProsparseException.checkpoint(dir + " is not a directory; pass the checkpoint folder"
                    + " (the one containing config.json and the *.safetensors files).");
        }
        Path indexFile = dir.resolve(SafetensorsIndex.FILE_NAME);
        if (Files.isRegularFile(indexFile)) {
            return openSharded(dir, SafetensorsIndex.read(indexFile));
        }
        Path single = dir.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            SafetensorsFile file = SafetensorsFile.open(single);
            Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
            file.tensors().forEach(t -> owner.put(t.name(), file));
            return new CheckpointFiles(dir, List.of(file), null, owner);
        }
        String gguf = ggufProblem(dir);
        if (gguf != null) {
            throw ProsparseException.checkpoint(gguf);
        }
        throw ProsparseException.checkpoint(dir + " has neither " + SINGLE_FILE + " nor " + SafetensorsIndex.FILE_NAME
                + " (weight files present: " + weightFilesIn(dir) + "); PyTorch .bin checkpoints are not supported —"
                + " convert them with transformers: model.save_pretrained(out_dir, safe_serialization=True).");
    }

    /**
     * What to say about a folder that holds a GGUF file (llama.cpp's format, usually quantized), or null if it holds
     * none. No conversion recovers the original weights from a quantized GGUF, so the advice is the source checkpoint.
     */
    public static String ggufProblem(Path dir) {
        String gguf;
        try (Stream<Path> files = Files.list(dir)) {
            gguf = files.map(p -> p.getFileName().toString()).filter(n -> n.toLowerCase(java.util.Locale.ROOT).endsWith(".gguf"))
                    .sorted().collect(Collectors.joining(", "));
        } catch (IOException e) {
            return null;
        }
        if (gguf.isEmpty()) {
            return null;
        }
        return dir + " holds " + Messages.printable(gguf, Messages.MAX_QUOTED) + ", a GGUF file (llama.cpp's format, usually"
                + " quantized), which prosparse does not read; use the HuggingFace checkpoint it was made from (config.json"
                + " and *.safetensors), e.g. prosparse convert --model ORG/NAME --download.";
    }

    private static CheckpointFiles openSharded(Path dir, SafetensorsIndex index) {
        Map<String, SafetensorsFile> byShard = new LinkedHashMap<>();
        try {
            for (String shard : index.shardNames()) {
                Path file = dir.resolve(shard);
                if (!Files.isRegularFile(file)) {
                    throw ProsparseException.checkpoint(SafetensorsIndex.FILE_NAME + " names shard " + Messages.quote(shard)
                            + " but it is not in " + dir + "; the download is incomplete — download the missing shard.");
                }
                byShard.put(shard, SafetensorsFile.open(file));
            }
            Map<String, SafetensorsFile> owner = new LinkedHashMap<>();
            index.weightMap().forEach((tensor, shard) -> {
                SafetensorsFile file = byShard.get(shard);
                if (file.find(tensor).isEmpty()) {
                    throw ProsparseException.checkpoint(SafetensorsIndex.FILE_NAME + " in " + dir
                            + " assigns tensor " + Messages.quote(tensor) + " to shard " + Messages.quote(shard) + " but that shard does not"
                            + " contain it; the download is incomplete or mixed — re-download the checkpoint.");
                }
                owner.put(tensor, file);
            });
            return new CheckpointFiles(dir, new ArrayList<>(byShard.values()), index, owner);
        } catch (RuntimeException e) {
            byShard.values().forEach(SafetensorsFile::close);
            throw e;
        }
    }

    private static String weightFilesIn(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            String found = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".safetensors") || n.endsWith(".bin"))
                    .sorted()
                    .collect(Collectors.joining(", "));
            return found.isEmpty() ? "none" : found;
        } catch (IOException e) {
            throw ProsparseException.io("Listing " + dir + " failed: " + e.getMessage() + "; check permissions.", e);
        }
    }

    /** The checkpoint folder. */
    public Path dir() {
        return dir;
    }

    /** Where the weights come from, for messages: the single file, or the index file of a sharded checkpoint. */
    public String describe() {
        return index == null ? shards.get(0).path().toString() : dir.resolve(SafetensorsIndex.FILE_NAME).toString();
    }

    /** All tensor names: index order for sharded checkpoints, offset order for a single file. */
    public Set<String> names() {
        return owner.keySet();
    }

    /** The named tensor; throws a checkpoint error naming the folder if absent. */
    public TensorInfo info(String name) {
        return fileOf(name).info(name);
    }

    /** The file holding the named tensor. */
    public SafetensorsFile fileOf(String name) {
        SafetensorsFile file = owner.get(name);
        if (file == null) {
            throw ProsparseException.checkpoint("The checkpoint in " + dir + " has no tensor " + Messages.quote(name)
                    + "; check that it is complete and of a supported architecture (LLaMA or MiniCPM).");
        }
        return file;
    }

    /** Reads the named tensor as float32; see {@link SafetensorsFile#readFloat32}. */
    public float[] readFloat32(String name) {
        return fileOf(name).readFloat32(name);
    }

    /** The open files, in index order (one for a single-file checkpoint). */
    public List<SafetensorsFile> shards() {
        return shards;
    }

    /** The index, for sharded checkpoints. */
    public Optional<SafetensorsIndex> index() {
        return Optional.ofNullable(index);
    }

    /** Summed byte size of all tensors (what the index calls total_size). */
    public long totalBytes() {
        return owner.entrySet().stream().mapToLong(e -> e.getValue().info(e.getKey()).byteLength()).sum();
    }

    @Override
    public void close() {
        RuntimeException first = null;
        for (SafetensorsFile f : shards) {
            try {
                f.close();
            } catch (RuntimeException e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
