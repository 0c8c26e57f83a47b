package dev.prosparse.convert;

import dev.prosparse.ProsparseException;
import dev.prosparse.io.SafetensorsWriter;
import dev.prosparse.util.ByteSize;
import dev.prosparse.util.Durations;
import dev.prosparse.util.Errors;
import dev.prosparse.util.Progress;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongConsumer;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Transfer and fsync: writes the planned weight shards into the staging folder, copies the other source files,
 * and flushes every file to disk. Whole-file copies go through {@link FileChannel#transferTo} (sendfile /
 * copy_file_range: no bytes pass through Java); rewritten shards stream through {@link TensorStreams}.
 */
final class ShardWriter {
    private static final Logger LOG = LoggerFactory.getLogger(ShardWriter.class);
    /** Bytes per transferTo call: small enough to notice Ctrl-C and draw progress, large enough to be free. */
    static final long TRANSFER_CHUNK = 256L << 20;

    private ShardWriter() {}

    /** Writes the weight shards, copies {@code others} and flushes them all to disk; tells {@code listener} each file. */
    static void write(StagingFolder stage, ShardPlan plan, List<Path> others, Converter.Listener listener) {
        long total = plan.bytes();
        long[] done = {0};
        List<Path> toSync = new ArrayList<>();
        try (Progress bar = Progress.start("convert", Math.max(1, total >> 20), "MB");
                TensorStreams streams = new TensorStreams(stage::checkNotCancelled, n -> {
                    done[0] += n;
                    bar.update(done[0] >> 20);
                })) {
            for (ShardPlan.Shard s : plan.shards()) {
                long t0 = System.nanoTime();
                Path dst = stage.dir().resolve(s.name());
                if (s.wholeCopyOf() != null) {
                    done[0] += transfer(streams, s.wholeCopyOf(), dst, stage, n -> bar.update((done[0] + n) >> 20));
                    toSync.add(dst);
                } else {
                    SafetensorsWriter.write(dst, s.metadata(),
                            s.jobs().stream().map(streams::source).collect(Collectors.toList()));
                }
                bar.update(done[0] >> 20);
                long size = Sizes.of(dst);
                LOG.debug("{}: {} in {} s ({})", s.name(), ByteSize.format(size), String.format(Locale.ROOT, "%.1f",
                        Durations.secondsSince(t0)), s.wholeCopyOf() != null ? "byte copy" : "rewritten");
                listener.fileWritten(s.name(), size);
            }
            for (Path f : others) {
                stage.checkNotCancelled();
                Path dst = stage.dir().resolve(f.getFileName().toString());
                try {
                    Files.copy(f, dst);
                } catch (IOException e) {
                    throw ProsparseException.io("Copying " + f + " failed: " + Errors.describe(e), e);
                }
                toSync.add(dst);
                listener.fileWritten(dst.getFileName().toString(), Sizes.of(dst));
            }
            for (Path p : toSync) {
                stage.checkNotCancelled();
                force(p);
            }
        }
    }

    /** Copies a whole file with transferTo, a chunk at a time; returns its size. */
    private static long transfer(TensorStreams streams, Path src, Path dst, StagingFolder stage, LongConsumer progress) {
        FileChannel in = streams.channel(src);
        try (FileChannel out = FileChannel.open(dst, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            long size = in.size();
            long pos = 0;
            while (pos < size) {
                stage.checkNotCancelled();
                long n = in.transferTo(pos, Math.min(TRANSFER_CHUNK, size - pos), out);
                if (n <= 0) {
                    throw ProsparseException.checkpoint(src + " ended at " + pos + " of " + size + " bytes; it was"
                            + " truncated while converting — do not modify the source during a conversion");
                }
                pos += n;
                progress.accept(pos);
            }
            return size;
        } catch (IOException e) {
            throw ProsparseException.io("Writing " + dst + " failed: " + Errors.describe(e)
                    + "; check free space and permissions of --out's folder", e);
        }
    }

    private static void force(Path p) {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.force(true);
        } catch (IOException e) {
            throw ProsparseException.io("Flushing " + p + " to disk failed: " + Errors.describe(e), e);
        }
    }
}
