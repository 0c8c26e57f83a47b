package dev.prosparse.sparsity;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.io.Sidecar;
import dev.prosparse.util.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Which of the evaluated checkpoints a trained one started from, by its {@code prosparse.json} (key
 * {@code source_checkpoint} of a {@code train} sidecar), so that {@code report sparsity --compare --ppl-budget} can put
 * a trained model next to the training-free numbers of its source.
 */
public final class SourceLink {
    private SourceLink() {}

    /** The source_checkpoint a training run recorded in {@code dir}, or null (no sidecar, not from train, unreadable). */
    public static String recordedSource(Path dir) {
        Path f = dir.resolve(Sidecar.FILE);
        if (!Files.isRegularFile(f)) {
            return null;
        }
        try {
            JsonNode root = Json.MAPPER.readTree(Files.readString(f));
            JsonNode src = root == null ? null : root.get("source_checkpoint");
            return root != null && "train".equals(root.path("command").asText()) && src != null && src.isTextual()
                    ? src.asText() : null;
        } catch (IOException | RuntimeException e) {
            return null;  // a sidecar is provenance only: an unreadable one links nothing
        }
    }

    /**
     * For each checkpoint, the index of the one among {@code dirs} it was trained from, or -1. The same folder (real
     * path) counts, and so does a folder of the same name when only one has that name: a run records where its source
     * was on the machine that trained it, which is often another copy of the same checkpoint.
     */
    public static int[] sources(List<Path> dirs) {
        int[] out = new int[dirs.size()];
        for (int i = 0; i < dirs.size(); i++) {
            String recorded = recordedSource(dirs.get(i));
            out[i] = recorded == null ? -1 : find(dirs, i, Path.of(recorded));
        }
        return out;
    }

    private static int find(List<Path> dirs, int self, Path recorded) {
        for (int j = 0; j < dirs.size(); j++) {
            if (j != self && same(dirs.get(j), recorded)) {
                return j;
            }
        }
        int match = -1;
        for (int j = 0; j < dirs.size(); j++) {
            if (j != self && name(dirs.get(j)).equals(name(recorded))) {
                if (match >= 0) {
                    return -1;  // two candidates of that name: no guess
                }
                match = j;
            }
        }
        return match;
    }

    private static boolean same(Path a, Path b) {
        try {
            return Files.exists(b) && Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }

    private static String name(Path p) {
        Path n = p.toAbsolutePath().normalize().getFileName();
        return n == null ? "" : n.toString();
    }
}
