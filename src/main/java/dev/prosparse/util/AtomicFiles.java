package dev.prosparse.util;

import dev.prosparse.ProsparseException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HexFormat;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Writes a file atomically: into {@code .<name>.tmp-<random>} next to the target, forced to disk, then renamed
 * over the target. On failure the temp file is removed and an existing target is left untouched. Every file the
 * tool writes goes through {@link #write}, so the fault-injection seam reaches all of them.
 */
public final class AtomicFiles {

    /** The body that produces the file's content. */
    @FunctionalInterface
    public interface Body {
        void writeTo(WritableByteChannel out) throws IOException;
    }

    /**
     * Test seam for fault injection (disk full after N bytes, in one chosen file of a whole checkpoint save):
     * when set, wraps the channel of every file written here. Null in production; package-private, so only
     * the tests' {@code dev.prosparse.util.FaultInjection} can set it.
     */
    static volatile BiFunction<Path, WritableByteChannel, WritableByteChannel> faults;

    private AtomicFiles() {
    }

    /**
     * Writes {@code target} through {@code wrap(channel)}.
     *
     * @param bytesNeeded the final file size, quoted when the disk is full
     * @param wrap        wraps the temp file's channel (identity in production; tests inject failures)
     */
    public static void write(Path target, long bytesNeeded, Function<FileChannel, WritableByteChannel> wrap, Body body) {
        Path dir = target.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            throw ProsparseException.io("Writing " + target + " failed: directory " + dir
                    + " does not exist; create it or choose another --out.", null);
        }
        Path tmp = dir.resolve("." + target.getFileName() + ".tmp-"
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong()));
        boolean done = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                WritableByteChannel out = wrap.apply(ch);
                BiFunction<Path, WritableByteChannel, WritableByteChannel> inject = faults;
                body.writeTo(inject == null ? out : inject.apply(target, out));
                ch.force(true);
            }
            move(tmp, target);
            done = true;
        } catch (IOException e) {
            throw failure(target, bytesNeeded, e);
        } finally {
            if (!done) {
                deleteQuietly(tmp);
            }
        }
    }

    /** Writes small text content (UTF-8) atomically, creating the folder if needed. */
    public static void writeString(Path target, String content) {
        writeBytes(target, content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Writes small binary content atomically, creating the folder if needed. */
    public static void writeBytes(Path target, byte[] content) {
        Path dir = target.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw failure(target, content.length, e);
        }
        write(target, content.length, ch -> ch, out -> {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(content);
            while (b.hasRemaining()) {
                out.write(b);
            }
        });
    }

    private static void move(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Maps a write failure to a one-sentence I/O error; disk-full gets a specific hint. */
    public static ProsparseException failure(Path target, long bytesNeeded, IOException e) {
        String msg = String.valueOf(e.getMessage());
        if (msg.toLowerCase(Locale.ROOT).contains("no space left")) {
            return ProsparseException.io("Writing " + target + " failed: no space left on device (" + bytesNeeded
                    + " bytes needed); free space or choose another --out.", e);
        }
        return ProsparseException.io("Writing " + target + " failed: " + e.getClass().getSimpleName() + ": " + msg
                + "; check permissions and free space, or choose another --out.", e);
    }

    private static void deleteQuietly(Path tmp) {
        try {
            Files.deleteIfExists(tmp);
        } catch (IOException ignored) {
            // best effort: the original failure is the one worth reporting
        }
    }
}
