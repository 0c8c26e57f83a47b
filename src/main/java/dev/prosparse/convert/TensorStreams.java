package dev.prosparse.convert;

import dev.prosparse.ProsparseException;
import dev.prosparse.io.DType;
import dev.prosparse.io.FloatCodec;
import dev.prosparse.io.ReadChannels;
import dev.prosparse.io.SafetensorsWriter.TensorSource;
import dev.prosparse.io.TensorInfo;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.function.LongConsumer;

/**
 * Tensor bytes streamed from source files in bounded memory: raw copies through one reused direct buffer, and
 * dtype conversions a chunk of elements at a time (never a whole tensor in memory). Owns one read channel per
 * source file; close it when the conversion is done.
 */
final class TensorStreams implements AutoCloseable {
    /** Raw-copy buffer and conversion chunk, in bytes of the source. */
    static final int CHUNK_BYTES = 8 << 20;

    /** Elements converted per chunk: buffers of at most 8 MB (F64 in), 4 MB (floats) and 4 MB (F32 out). */
    static final int CHUNK_ELEMENTS = 1 << 20;

    private final ReadChannels channels = new ReadChannels();
    private final ByteBuffer raw = ByteBuffer.allocateDirect(CHUNK_BYTES);
    private ByteBuffer convertIn;
    private ByteBuffer convertOut;
    private float[] floats;
    private final Runnable checkCancelled;
    private final LongConsumer progress;

    /**
     * @param checkCancelled called between chunks; throws to stop
     * @param progress       told the number of source bytes consumed by each chunk
     */
    TensorStreams(Runnable checkCancelled, LongConsumer progress) {
        this.checkCancelled = checkCancelled;
        this.progress = progress;
    }

    /** One tensor of a source file: where its bytes start in the file, and the dtype to write it as. */
    record Job(String name, TensorInfo info, Path file, long position, DType target) {
        long targetBytes() {
            return info.numel() * target.byteSize();
        }

        boolean converts() {
            return target != info.dtype();
        }
    }

    /** A writer source for one job: raw bytes when the dtype is kept, else converted through float32. */
    TensorSource source(Job job) {
        return new TensorSource() {
            @Override
            public String name() {
                return job.name();
            }

            @Override
            public DType dtype() {
                return job.target();
            }

            @Override
            public long[] shape() {
                return job.info().shape();
            }

            @Override
            public void writeTo(WritableByteChannel out) throws IOException {
                if (job.converts()) {
                    convert(job, out);
                } else {
                    copy(job.file(), job.position(), job.info().byteLength(), out);
                }
            }
        };
    }

    /** Copies {@code length} bytes at {@code position} of {@code file} to {@code out}. */
    void copy(Path file, long position, long length, WritableByteChannel out) throws IOException {
        FileChannel in = channel(file);
        long done = 0;
        while (done < length) {
            checkCancelled.run();
            raw.clear().limit((int) Math.min(raw.capacity(), length - done));
            readFully(in, raw, position + done, file);
            raw.flip();
            while (raw.hasRemaining()) {
                out.write(raw);
            }
            done += raw.limit();
            progress.accept(raw.limit());
        }
    }

    /** Decodes the source a chunk at a time to float32 and encodes each chunk as the target dtype. */
    private void convert(Job job, WritableByteChannel out) throws IOException {
        DType from = job.info().dtype();
        DType to = job.target();
        FileChannel in = channel(job.file());
        int perChunk = CHUNK_ELEMENTS;
        if (floats == null) { // allocated once, reused for every tensor: memory stays flat
            convertIn = ByteBuffer.allocate(CHUNK_ELEMENTS * Double.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            convertOut = ByteBuffer.allocate(CHUNK_ELEMENTS * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            floats = new float[CHUNK_ELEMENTS];
        }
        ByteBuffer src = convertIn;
        ByteBuffer dst = convertOut;
        long total = job.info().numel();
        for (long done = 0; done < total; ) {
            checkCancelled.run();
            int n = (int) Math.min(perChunk, total - done);
            src.clear().limit(n * from.byteSize());
            readFully(in, src, job.position() + done * from.byteSize(), job.file());
            src.flip();
            FloatCodec.decode(from, src, floats, 0, n, null);
            dst.clear();
            FloatCodec.encode(floats, 0, n, to, dst);
            dst.flip();
            while (dst.hasRemaining()) {
                out.write(dst);
            }
            done += n;
            progress.accept((long) n * from.byteSize());
        }
    }

    private static void readFully(FileChannel in, ByteBuffer buf, long position, Path file) throws IOException {
        long at = position;
        while (buf.hasRemaining()) {
            int n = in.read(buf, at);
            if (n < 0) {
                throw ProsparseException.checkpoint(file + " ended before its tensor data did; it was truncated or"
                        + " changed while converting — do not modify the source during a conversion");
            }
            at += n;
        }
    }

    FileChannel channel(Path file) {
        return channels.of(file);
    }

    @Override
    public void close() {
        channels.close();
    }
}
