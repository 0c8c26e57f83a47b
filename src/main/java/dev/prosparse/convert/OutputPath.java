package dev.prosparse.convert;

import dev.prosparse.ProsparseException;
import dev.prosparse.util.Errors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.stream.Stream;

/** Output-path safety: {@code --out} must be a new (or, with --force, replaceable) folder apart from the source. */
public final class OutputPath {
    private OutputPath() {}

    /** Refuses an --out that is a file, or a non-empty folder without --force. Nothing source-specific. */
    public static void check(Path out, boolean force) {
        if (Files.exists(out, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(out, LinkOption.NOFOLLOW_LINKS)) {
            throw ProsparseException.usage("--out " + out + " is a file; give the path of a folder to create");
        }
        if (Files.isDirectory(out, LinkOption.NOFOLLOW_LINKS) && !force) {
            try (Stream<Path> s = Files.list(out)) {
                if (s.findAny().isPresent()) {
                    throw ProsparseException.usage("--out " + out + " already exists and is not empty; pass --force to"
                            + " replace it, or choose another --out");
                }
            } catch (IOException e) {
                throw ProsparseException.io("Cannot list --out " + out + ": " + Errors.describe(e), e);
            }
        }
    }

    /** Refuses an output that is, contains or lies inside the source folder. */
    static void checkSeparate(Path source, Path out) {
        Path src;
        try {
            src = source.toRealPath();
        } catch (IOException e) {
            throw ProsparseException.io("Cannot resolve " + source + ": " + Errors.describe(e), e);
        }
        Path o = realish(out);
        if (o.equals(src)) {
            throw ProsparseException.usage("--out " + out + " is the source folder; the source is never modified, so"
                    + " choose a new folder such as " + suggestion(source));
        }
        if (o.startsWith(src)) {
            throw ProsparseException.usage("--out " + out + " is inside the source folder " + source
                    + "; choose a folder outside it, such as " + suggestion(source));
        }
        if (src.startsWith(o)) {
            throw ProsparseException.usage("--out " + out + " contains the source folder " + source
                    + "; choose a folder outside it, such as " + suggestion(source));
        }
    }

    private static String suggestion(Path source) {
        Path name = source.toAbsolutePath().normalize().getFileName();
        return (name == null ? "out" : name) + "-relu next to it";
    }

    /** The real path of {@code p}, resolving links in its longest existing prefix. */
    static Path realish(Path p) {
        Path abs = p.toAbsolutePath().normalize();
        Path existing = abs;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null) {
            return abs;
        }
        try {
            return existing.toRealPath().resolve(existing.relativize(abs)).normalize();
        } catch (IOException e) {
            return abs;
        }
    }
}
