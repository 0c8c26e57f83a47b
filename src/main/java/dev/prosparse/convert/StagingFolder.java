package dev.prosparse.convert;

import dev.prosparse.ProsparseException;
import dev.prosparse.util.Errors;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The temporary folder {@code .<out>.tmp-<random>} beside the output, where a conversion is written before the
 * single rename that makes {@code <out>} appear. A JVM shutdown hook (Ctrl-C, SIGTERM) cancels the work and
 * removes the folder; {@link #close()} removes it on any failure. {@link #commit} and the hook exclude each
 * other, so an interrupted run leaves either the complete output or nothing.
 */
final class StagingFolder implements AutoCloseable {
    /** How long the shutdown hook waits for the writer to stop before deleting under it. */
    private static final long HOOK_WAIT_MS = 3000;

    private final Path out;
    private final Path dir;
    private final Object lock = new Object();
    private final CountDownLatch closed = new CountDownLatch(1);
    private final Thread hook;
    private volatile boolean cancelled;
    private boolean committed;

    private StagingFolder(Path out, Path dir) {
        this.out = out;
        this.dir = dir;
        this.hook = new Thread(this::onShutdown, "prosparse-convert-cleanup");
    }

    /** Creates the folder beside {@code out} (creating out's parent if needed) and registers the hook. */
    static StagingFolder create(Path out) {
        Path abs = out.toAbsolutePath().normalize();
        Path parent = abs.getParent();
        Path dir = parent.resolve("." + abs.getFileName() + ".tmp-"
                + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()));
        try {
            Files.createDirectories(parent);
            Files.createDirectory(dir);
        } catch (IOException e) {
            throw ProsparseException.io("Cannot create " + dir + ": " + Errors.describe(e)
                    + "; check that --out's folder is writable", e);
        }
        StagingFolder s = new StagingFolder(abs, dir);
        Runtime.getRuntime().addShutdownHook(s.hook);
        return s;
    }

    Path dir() {
        return dir;
    }

    /** The names of the files written so far, sorted. */
    List<String> names() {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        } catch (IOException e) {
            throw ProsparseException.io("Cannot list " + dir + ": " + Errors.describe(e), e);
        }
    }

    /** Throws an "interrupted" error once the JVM is shutting down; writers call it between chunks. */
    void checkNotCancelled() {
        if (cancelled) {
            throw new ProsparseException(ProsparseException.Kind.INTERRUPTED,
                    "interrupted; the partial output " + dir + " is removed and " + out + " was not written");
        }
    }

    /**
     * Renames the folder to {@code out}. An existing {@code out} (allowed by --force) is first moved aside and
     * removed after the rename; a rename that fails puts it back.
     */
    void commit() {
        synchronized (lock) {
            checkNotCancelled();
            try {
                fsyncDir(dir);
                if (Files.exists(out, java.nio.file.LinkOption.NOFOLLOW_LINKS) && !isEmptyDir(out)) {
                    Path old = out.resolveSibling("." + out.getFileName() + ".old-"
                            + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt()));
                    Files.move(out, old, StandardCopyOption.ATOMIC_MOVE);
                    try {
                        Files.move(dir, out, StandardCopyOption.ATOMIC_MOVE);
                    } catch (IOException e) {
                        Files.move(old, out, StandardCopyOption.ATOMIC_MOVE);
                        throw e;
                    }
                    committed = true;
                    deleteTree(old);
                } else {
                    try {
                        Files.move(dir, out, StandardCopyOption.ATOMIC_MOVE);
                    } catch (AtomicMoveNotSupportedException e) {
                        Files.move(dir, out);
                    }
                    committed = true;
                }
                fsyncDir(out.getParent());
            } catch (IOException e) {
                throw ProsparseException.io("Renaming " + dir + " to " + out + " failed: " + Errors.describe(e)
                        + "; nothing was written to --out", e);
            }
        }
    }

    /** Removes the folder unless committed, and unregisters the hook. */
    @Override
    public void close() {
        try {
            synchronized (lock) {
                if (!committed) {
                    deleteQuietly(dir);
                }
            }
        } finally {
            closed.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or has run: it waits on `closed`, which is now released
            }
        }
    }

    private void onShutdown() {
        synchronized (lock) {
            if (committed) {
                return;
            }
            cancelled = true;
        }
        try {
            closed.await(HOOK_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (lock) {
            if (!committed) {
                deleteQuietly(dir);
                System.err.println("prosparse: interrupted; removed the partial output " + dir);
            }
        }
    }

    private static boolean isEmptyDir(Path p) throws IOException {
        if (!Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try (var s = Files.list(p)) {
            return s.findAny().isEmpty();
        }
    }

    /** fsync a folder so that the renames and new entries in it are durable (best effort). */
    static void fsyncDir(Path d) {
        try (FileChannel ch = FileChannel.open(d, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException ignored) {
            // not every platform can open a folder for fsync; the data files themselves were forced
        }
    }

    /** Deletes a folder tree; retried because a writer may still be adding a file while the hook deletes. */
    static void deleteQuietly(Path root) {
        for (int attempt = 0; attempt < 5 && Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS); attempt++) {
            try {
                deleteTree(root);
            } catch (IOException e) {
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException exc) throws IOException {
                if (exc instanceof NoSuchFileException) {
                    return FileVisitResult.CONTINUE;
                }
                throw exc;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
