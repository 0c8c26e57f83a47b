package dev.prosparse.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.util.AtomicFiles;
import dev.prosparse.util.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * {@code --out/sparsify.json}: the settings a sparsify run was started with and the steps it finished (seconds,
 * time). A re-run with the same settings skips finished steps; other settings are refused unless --force, which
 * starts over (docs/sparsify.md).
 */
final class SparsifyState {
    static final String FILE = "sparsify.json";

    private final Path out;
    private final ObjectNode json;

    private SparsifyState(Path out, ObjectNode json) {
        this.out = out;
        this.json = json;
    }

    /** Opens or starts the state in {@code out}; refuses another run's folder unless {@code force} (then empties it). */
    static SparsifyState open(Path out, ObjectNode settings, boolean force) {
        Path f = out.resolve(FILE);
        if (Files.isRegularFile(f)) {
            ObjectNode old;
            try {
                old = (ObjectNode) Json.DOCUMENT.readTree(Files.readString(f));
            } catch (IOException | ClassCastException e) {
                throw ProsparseException.checkpoint(f + ": not a sparsify state file (" + e.getMessage() + "); pass --force"
                        + " to start over in this folder");
            }
            if (old.path("settings").equals(settings)) {
                return new SparsifyState(out, old);
            }
            if (!force) {
                throw ProsparseException.usage("--out " + out + " holds a sparsify run with other settings ("
                        + differences(old.path("settings"), settings) + "); re-run it with the same flags to continue it,"
                        + " pass --force to start over there, or choose another --out");
            }
            deleteTree(out);
        } else if (Files.exists(out)) {
            if (!Files.isDirectory(out)) {
                throw ProsparseException.usage("--out " + out + " is a file; give the path of a folder to create");
            }
            try (Stream<Path> s = Files.list(out)) {
                if (s.findAny().isPresent() && !force) {
                    throw ProsparseException.usage("--out " + out + " already exists, is not empty and holds no " + FILE
                            + "; choose another --out, or pass --force to replace it");
                }
            } catch (IOException e) {
                throw ProsparseException.io("Cannot list --out " + out + ": " + e.getMessage(), e);
            }
            if (force) {
                deleteTree(out);
            }
        }
        try {
            Files.createDirectories(out);
        } catch (IOException e) {
            throw ProsparseException.io("Could not create --out " + out + ": " + e.getMessage(), e);
        }
        ObjectNode j = Json.MAPPER.createObjectNode();
        j.set("settings", settings);
        j.putObject("steps");
        SparsifyState s = new SparsifyState(out, j);
        s.save();
        return s;
    }

    boolean done(Step step) {
        return json.path("steps").path(step.name().toLowerCase()).path("done").asBoolean(false)
                && Files.exists(out.resolve(step.folder));
    }

    double seconds(Step step) {
        return json.path("steps").path(step.name().toLowerCase()).path("seconds").asDouble(0);
    }

    void markDone(Step step, double seconds) {
        ObjectNode s = ((ObjectNode) json.get("steps")).putObject(step.name().toLowerCase());
        s.put("done", true);
        s.put("seconds", Math.round(seconds * 10) / 10.0);
        s.put("finished_at", Instant.now().toString());
        save();
    }

    private void save() {
        try {
            AtomicFiles.writeString(out.resolve(FILE), Json.PRETTY.writeValueAsString(json) + "\n");
        } catch (IOException e) {
            throw ProsparseException.io("Could not write " + out.resolve(FILE) + ": " + e.getMessage(), e);
        }
    }

    private static String differences(JsonNode a, JsonNode b) {
        StringBuilder sb = new StringBuilder();
        for (var it = b.fieldNames(); it.hasNext();) {
            String k = it.next();
            if (!a.path(k).equals(b.path(k))) {
                sb.append(sb.length() == 0 ? "" : ", ").append(k).append(' ').append(a.path(k)).append(" → ").append(b.path(k));
            }
        }
        return sb.length() == 0 ? "another format" : sb.toString();
    }

    static void deleteTree(Path dir) {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw ProsparseException.io("Could not empty " + dir + ": " + e.getMessage(), e);
        }
    }
}
