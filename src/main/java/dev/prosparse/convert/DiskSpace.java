package dev.prosparse.convert;

import dev.prosparse.ProsparseException;
import dev.prosparse.util.ByteSize;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.ToLongFunction;

/** The free-disk-space check, made before anything is written. */
final class DiskSpace {
    private DiskSpace() {}

    /**
     * Refuses when the disk holding {@code out} (its nearest existing ancestor) has less than {@code needed}
     * bytes free. A probe answering -1 (unknown) passes.
     *
     * @param freeSpace bytes usable in a folder: {@link #usable} in production, a stand-in in tests
     */
    static void check(Path out, long needed, ToLongFunction<Path> freeSpace) {
        Path probe = out.getParent();
        while (probe != null && !Files.isDirectory(probe)) {
            probe = probe.getParent();
        }
        if (probe == null) {
            return;
        }
        long free = freeSpace.applyAsLong(probe);
        if (free >= 0 && free < needed) {
            throw ProsparseException.io("not enough free disk space for --out " + out + ": the converted checkpoint"
                    + " needs " + ByteSize.format(needed) + " but " + probe + " has " + ByteSize.format(free)
                    + " free; free some space or choose --out on another disk", null);
        }
    }

    /** Bytes usable by this process on the file store of {@code dir}, or -1 when it cannot be asked. */
    static long usable(Path dir) {
        try {
            return Files.getFileStore(dir).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }
}
