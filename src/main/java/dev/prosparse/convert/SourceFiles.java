package dev.prosparse.convert;

import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.SafetensorsFile;
import dev.prosparse.io.SafetensorsIndex;
import dev.prosparse.io.Sidecar;
import dev.prosparse.io.WeightFormats;
import dev.prosparse.util.Errors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** File selection: which source files are copied unchanged, and which are recorded in the sidecar. */
final class SourceFiles {
    private static final Logger LOG = LoggerFactory.getLogger(SourceFiles.class);
    /** Written anew, never copied: the config, the sidecar and the indexes (the other formats' too). */
    static final Set<String> NOT_COPIED;

    static {
        List<String> names = new ArrayList<>(List.of(ModelConfig.FILE, Sidecar.FILE, SafetensorsIndex.FILE_NAME));
        names.addAll(WeightFormats.OTHER_INDEX_FILES);
        NOT_COPIED = Set.copyOf(names);
    }

    private SourceFiles() {}

    /** The source files copied unchanged: tokenizer, generation config, code for auto_map, licence, README, … */
    static List<Path> others(Path source) {
        List<Path> out = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        try (Stream<Path> s = Files.list(source)) {
            for (Path p : s.sorted().collect(Collectors.toList())) {
                String name = p.getFileName().toString();
                boolean safetensors = name.toLowerCase(Locale.ROOT).endsWith(".safetensors");
                boolean weights = safetensors || WeightFormats.isOtherFormat(name);
                boolean partial = name.toLowerCase(Locale.ROOT).endsWith(".incomplete");
                if (name.startsWith(".") || NOT_COPIED.contains(name) || weights || partial) {
                    if (!name.startsWith(".") && !NOT_COPIED.contains(name) && !safetensors) {
                        skipped.add(name);
                    }
                    continue;
                }
                if (Files.isRegularFile(p)) {
                    out.add(p);
                } else if (Files.isDirectory(p)) {
                    skipped.add(name + "/");
                }
            }
        } catch (IOException e) {
            throw ProsparseException.io("Cannot list " + source + ": " + Errors.describe(e), e);
        }
        if (!skipped.isEmpty()) {
            LOG.info("Not copied from {}: {} (other weight formats and sub-folders)", source, String.join(", ", skipped));
        }
        return out;
    }

    /** The files the sidecar lists: weight shards, their index, config.json, then {@code others}. */
    static List<Path> recorded(CheckpointFiles files, Path source, List<Path> others) {
        List<Path> l = files.shards().stream().map(SafetensorsFile::path).collect(Collectors.toList());
        files.index().ifPresent(i -> l.add(files.dir().resolve(SafetensorsIndex.FILE_NAME)));
        if (Files.isRegularFile(source.resolve(ModelConfig.FILE))) {
            l.add(source.resolve(ModelConfig.FILE));
        }
        l.addAll(others);
        return l;
    }
}
