package dev.prosparse.train;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.io.DType;
import dev.prosparse.io.SafetensorsWriter;
import dev.prosparse.io.Sidecar;
import dev.prosparse.io.SafetensorsWriter.TensorSource;
import dev.prosparse.model.Weights;
import dev.prosparse.util.AtomicFiles;
import dev.prosparse.util.Errors;
import dev.prosparse.util.Json;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * A training run's folder:
 * <pre>
 * recipe.yaml              the resolved recipe
 * metrics.jsonl            one JSON object per logged step and per evaluation
 * step-000360/             a save: HF checkpoint + prosparse.json + trainer_state.json + optimizer.safetensors
 * final/                   the result (HF checkpoint, FATReLU shift applied when final_threshold is set)
 * final_report.json|md     sparsity and perplexity before and after the shift
 * </pre>
 * Every folder is written under a temporary name and renamed when complete, so a folder named
 * {@code step-*} is always whole; temporary folders left by a killed process are removed on resume.
 */
public final class RunDir {
    public static final String RECIPE = "recipe.yaml";
    public static final String METRICS = "metrics.jsonl";
    public static final String TRAINER_STATE = "trainer_state.json";
    public static final String OPTIMIZER = "optimizer.safetensors";
    public static final String SIDECAR = Sidecar.FILE;
    static final Pattern SAVE = Pattern.compile("step-(\\d{6,})");
    /** Tokenizer and generation files copied from the source checkpoint into every save. */
    static final List<String> COPIED_FILES = List.of("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
            "generation_config.json", "tokenizer.model");

    private final Path dir;

    public RunDir(Path dir) {
        this.dir = dir;
    }

    public Path path() {
        return dir;
    }

    public Path metrics() {
        return dir.resolve(METRICS);
    }

    public static String saveName(int step) {
        return String.format("step-%06d", step);
    }

    /**
     * Where a new run goes: {@code <output_dir>/<name>}, a relative output_dir taken from the current directory as
     * every path argument is (see {@code docs/paths.md}); the name defaults to {@code <recipe>-<yyyyMMdd-HHmmss>}.
     *
     * @param config  the recipe file as given (null for the built-in demo recipe), which names the run
     * @param runName {@code --run-name}, or null
     */
    public static Path newRunPath(Recipe recipe, Path config, String runName) {
        String recipeName = config == null ? "demo" : config.getFileName().toString().replaceAll("\\.ya?ml$", "");
        String name = runName != null ? runName
                : recipeName + "-" + java.time.LocalDateTime.now().format(java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        return Path.of(recipe.outputDir()).toAbsolutePath().resolve(name).normalize();
    }

    /** Creates a new run folder; an existing non-empty one is refused. */
    public static RunDir create(Path dir, String recipeYaml) {
        try {
            if (Files.isDirectory(dir)) {
                try (Stream<Path> s = Files.list(dir)) {
                    if (s.findAny().isPresent()) {
                        throw ProsparseException.usage("run folder " + dir + " already exists; continue it with --resume "
                                + dir + " or choose another --run-name");
                    }
                }
            }
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw ProsparseException.io("Cannot create run folder " + dir + ": " + Errors.describe(e), e);
        }
        AtomicFiles.writeString(dir.resolve(RECIPE), recipeYaml);
        return new RunDir(dir);
    }

    /** Saves, oldest first. */
    public List<Save> saves() {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isDirectory)
                    .map(p -> {
                        Matcher m = SAVE.matcher(p.getFileName().toString());
                        return m.matches() && Files.isRegularFile(p.resolve(TRAINER_STATE))
                                ? new Save(p, Integer.parseInt(m.group(1))) : null;
                    })
                    .filter(x -> x != null)
                    .sorted(Comparator.comparingInt(Save::step))
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw ProsparseException.io("Cannot list run folder " + dir + ": " + Errors.describe(e), e);
        }
    }

    public Optional<Save> newestSave() {
        List<Save> s = saves();
        return s.isEmpty() ? Optional.empty() : Optional.of(s.get(s.size() - 1));
    }

    /** A complete save folder. */
    public record Save(Path dir, int step) {
        public JsonNode trainerState() {
            try {
                return Json.MAPPER.readTree(dir.resolve(TRAINER_STATE).toFile());
            } catch (IOException e) {
                throw ProsparseException.checkpoint(dir.resolve(TRAINER_STATE) + " is unreadable: " + e.getMessage());
            }
        }
    }

    /**
     * Deletes this run folder when a fresh run failed before its first save: nothing in it can be resumed or
     * reported (a recipe.yaml and perhaps the first metrics lines), and a folder left behind by every failed start
     * only clutters output_dir. A folder with any save or a final/ is kept. Best effort: a failure here must not
     * hide the error that ended the run.
     */
    public void removeIfNeverSaved() {
        if (!saves().isEmpty() || Files.exists(dir.resolve("final"))) {
            return;
        }
        try {
            deleteTree(dir);
        } catch (IOException e) {
            System.err.println("warning: could not remove the run folder " + dir + " of the failed start: " + Errors.describe(e));
        }
    }

    /** Removes {@code .*.tmp-*} folders left by a process killed in the middle of a save. */
    public void removeStaleTemporaries() {
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().startsWith(".") && p.getFileName().toString().contains(".tmp-"))
                    .collect(Collectors.toList())) {
                deleteTree(p);
            }
        } catch (IOException e) {
            throw ProsparseException.io("Cannot clean run folder " + dir + ": " + Errors.describe(e), e);
        }
    }

    /**
     * Writes an HF checkpoint folder atomically (temp folder, then rename): config.json, model.safetensors,
     * the source's tokenizer and generation files, the {@code prosparse.json} sidecar, and any extra files.
     */
    public static void writeCheckpoint(Path target, ModelConfig config, Weights weights, DType dtype, Path sourceDir,
            Sidecar sidecar, Map<String, byte[]> extraFiles, java.util.function.Consumer<Path> extraWriter) {
        Path parent = target.toAbsolutePath().getParent();
        Path tmp = parent.resolve("." + target.getFileName() + ".tmp-" + Long.toHexString(System.nanoTime()));
        try {
            Files.createDirectories(tmp);
            config.write(tmp);
            List<TensorSource> tensors = new ArrayList<>();
            for (Map.Entry<String, NDArray> e : weights.asMap().entrySet()) {
                tensors.add(lazy(e.getKey(), dtype, e.getValue()));
            }
            SafetensorsWriter.write(tmp.resolve("model.safetensors"), Map.of("format", "pt"), tensors);
            for (String f : COPIED_FILES) {
                Path src = sourceDir.resolve(f);
                if (Files.isRegularFile(src)) {
                    Files.copy(src, tmp.resolve(f));
                }
            }
            sidecar.write(tmp);
            for (Map.Entry<String, byte[]> e : extraFiles.entrySet()) {
                AtomicFiles.writeBytes(tmp.resolve(e.getKey()), e.getValue());
            }
            if (extraWriter != null) {
                extraWriter.accept(tmp);
            }
            if (Files.exists(target)) {
                // only `final/` is ever replaced (a re-run of the last step): move the old one aside first
                Path old = parent.resolve("." + target.getFileName() + ".tmp-old-" + Long.toHexString(System.nanoTime()));
                Files.move(target, old, StandardCopyOption.ATOMIC_MOVE);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
                deleteTree(old);
            } else {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException | RuntimeException e) {
            try {
                deleteTree(tmp);
            } catch (IOException ignored) {
                // the original failure is what the user needs to see
            }
            if (e instanceof ProsparseException) {
                throw (ProsparseException) e;
            }
            throw ProsparseException.io("Saving " + target + " failed: "
                    + (e instanceof IOException ? Errors.describe((IOException) e) : e.toString())
                    + "; nothing was written there, earlier saves are intact", e);
        }
    }

    /** A tensor whose bytes are produced only when the writer reaches it (one tensor in Java memory at a time). */
    private static TensorSource lazy(String name, DType dtype, NDArray array) {
        long[] shape = array.getShape().getShape();
        return new TensorSource() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public DType dtype() {
                return dtype;
            }

            @Override
            public long[] shape() {
                return shape;
            }

            @Override
            public void writeTo(WritableByteChannel out) throws IOException {
                TensorSource.ofFloats(name, dtype, shape, array.toFloatArray()).writeTo(out);
            }
        };
    }

    /** Appends one JSON line to metrics.jsonl and flushes it. */
    public void appendMetrics(ObjectNode line) {
        try (FileChannel ch = FileChannel.open(metrics(), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            ByteBuffer b = ByteBuffer.wrap((Json.MAPPER.writeValueAsString(line) + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                ch.write(b);
            }
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw ProsparseException.io("Cannot append to " + metrics() + ": " + Errors.describe(e), e);
        }
    }

    /** Drops metrics lines past {@code step} (a resumed run re-logs them exactly as an uninterrupted one). */
    public void truncateMetricsAfter(int step) {
        Path m = metrics();
        if (!Files.isRegularFile(m)) {
            return;
        }
        try {
            List<String> kept = new ArrayList<>();
            for (String line : Files.readAllLines(m, StandardCharsets.UTF_8)) {
                JsonNode n = Json.logLine(line);
                if (n == null) {
                    continue; // blank, or a line cut by a kill
                }
                if (n.path("step").asInt(Integer.MAX_VALUE) <= step && !n.path("type").asText().equals("final")) {
                    kept.add(line);
                }
            }
            AtomicFiles.writeString(m, kept.isEmpty() ? "" : String.join("\n", kept) + "\n");
        } catch (IOException e) {
            throw ProsparseException.io("Cannot rewrite " + m + ": " + Errors.describe(e), e);
        }
    }

    /**
     * Deletes the saves beyond the newest {@code keep} (save.keep_last), whatever made them (a stage end, save.every,
     * Ctrl-C). The newest save, the one --resume continues from, is never deleted.
     */
    public void pruneSaves(int keep) {
        List<Save> all = saves();
        for (int i = 0; i < all.size() - Math.max(1, keep); i++) {
            Path save = all.get(i).dir();
            try {
                // rename first: a kill during the delete then leaves a temporary (removed on resume), never a
                // half-deleted step-* folder that looks like a save
                Path doomed = dir.resolve("." + save.getFileName() + ".tmp-del-" + Long.toHexString(System.nanoTime()));
                Files.move(save, doomed, StandardCopyOption.ATOMIC_MOVE);
                deleteTree(doomed);
            } catch (IOException e) {
                throw ProsparseException.io("Cannot delete old save " + save + ": " + Errors.describe(e), e);
            }
        }
    }

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).collect(Collectors.toList())) {
                Files.deleteIfExists(x);
            }
        }
    }
}
