package dev.prosparse.io;

import dev.prosparse.ProsparseException;
import dev.prosparse.util.Errors;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * Read-only channels to checkpoint files, opened on first use and kept until {@link #close()}: a streaming
 * reader that visits each shard many times (one tensor at a time) opens each file once.
 */
public final class ReadChannels implements AutoCloseable {
    private final Map<Path, FileChannel> channels = new HashMap<>();

    /** The channel to {@code file}; an open failure is the tool's one-line I/O error. */
    public FileChannel of(Path file) {
        return channels.computeIfAbsent(file, f -> {
            try {
                return FileChannel.open(f, StandardOpenOption.READ);
            } catch (IOException e) {
                throw ProsparseException.io("Cannot open " + f + ": " + Errors.describe(e), e);
            }
        });
    }

    @Override
    public void close() {
        for (FileChannel ch : channels.values()) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // read-only: nothing is lost
            }
        }
        channels.clear();
    }
}
