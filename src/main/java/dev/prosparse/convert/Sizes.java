package dev.prosparse.convert;

import dev.prosparse.ProsparseException;
import dev.prosparse.util.Errors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** File sizes, with an I/O failure reported as the tool's one-line error. */
final class Sizes {
    private Sizes() {}

    static long of(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw ProsparseException.io("Cannot read the size of " + p + ": " + Errors.describe(e), e);
        }
    }

    static long total(List<Path> files) {
        return files.stream().mapToLong(Sizes::of).sum();
    }
}
