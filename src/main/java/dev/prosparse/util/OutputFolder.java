package dev.prosparse.util;

import dev.prosparse.ProsparseException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Checks an output folder before the work that fills it starts, so that an evaluation of minutes (hours on a 7B
 * model) does not end in "cannot write". Creates nothing that stays: a folder that does not exist yet is checked
 * through its nearest existing parent, by creating and deleting a probe file there (permission bits alone do not
 * tell: root ignores them, and a read-only mount keeps them).
 */
public final class OutputFolder {

    private OutputFolder() {
    }

    /** @param flag the option that named the folder, for the message ("--out") */
    public static void checkWritable(Path dir, String flag) {
        if (Files.exists(dir) && !Files.isDirectory(dir)) {
            throw ProsparseException.usage(flag + " " + dir + " is a file; give a folder (it is created if missing)");
        }
        Path existing = dir.toAbsolutePath().normalize();
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            throw ProsparseException.usage(flag + " " + dir + ": no part of the path exists; give a folder on this machine");
        }
        if (!Files.isDirectory(existing)) {
            throw ProsparseException.usage(flag + " " + dir + ": " + existing + " is a file, so the folder cannot be created"
                    + " there; choose another " + flag);
        }
        try {
            Files.delete(Files.createTempFile(existing, ".prosparse-write-check-", ".tmp"));
        } catch (IOException e) {
            throw ProsparseException.io(flag + " " + dir + " cannot be written (" + Errors.describe(e) + " in " + existing
                    + "); choose another " + flag + " or make it writable", e);
        }
    }

    /** Creates the missing parent folders of an output file (after its checks, before it is written). */
    public static void createParent(Path file, String flag) {
        Path parent = file.toAbsolutePath().normalize().getParent();
        if (parent == null || Files.isDirectory(parent)) {
            return;
        }
        checkWritable(parent, flag);
        try {
            Files.createDirectories(parent);
        } catch (IOException e) {
            throw ProsparseException.io("Cannot create the folder " + parent + " for " + flag + " " + file + ": "
                    + Errors.describe(e), e);
        }
    }

    /**
     * Refuses to replace outputs that exist unless {@code --force} was given (docs/paths.md): names the files found.
     *
     * @param names the files the command would write into {@code dir}
     */
    public static void refuseExisting(Path dir, java.util.Collection<String> names, boolean force, String flag) {
        if (force || !Files.isDirectory(dir)) {
            return;
        }
        java.util.List<String> there = names.stream().filter(n -> Files.exists(dir.resolve(n))).sorted().toList();
        if (!there.isEmpty()) {
            throw ProsparseException.usage(flag + " " + dir + " already holds " + String.join(", ", there)
                    + "; pass --force to replace them, or choose another " + flag);
        }
    }
}
