package dev.prosparse.sparsity;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.prosparse.ProsparseException;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.DType;
import dev.prosparse.io.FloatCodec;
import dev.prosparse.io.ReadChannels;
import dev.prosparse.io.SafetensorsFile;
import dev.prosparse.io.TensorInfo;
import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;

/**
 * Reads checkpoint tensors into float32 NDArrays without a whole tensor ever in Java memory: the raw bytes
 * come in 8 MiB positional reads and are widened in Java (BF16/F16 → F32: docs/djl-notes.md §2) straight into the
 * memory of a fresh libtorch tensor ({@code toByteBuffer(true)} is a view of a contiguous CPU tensor). Peak
 * memory per tensor is its float32 size, where {@code files.readFloat32} + a DJL array takes three copies
 * (Java array, direct buffer, tensor): 1.5 GB for LLaMA-7B's lm_head. Tensors of 2 GiB or more (no
 * ByteBuffer spans them), or an engine without such views, go through a staging buffer copied in slices.
 *
 * <p>It reads with {@code FileChannel.read}, not through memory mappings: a mapped window stays mapped, and
 * counted in the resident set, until the garbage collector finds its buffer — with little Java garbage that
 * is never, and evaluating LLaMA-7B through mapped windows peaked at 14 GB RSS.
 *
 * <p>Not thread-safe. Close it to close the files it opened.
 */
public final class TensorLoader implements AutoCloseable {
    /** Raw bytes per read. */
    static final int READ_BYTES = 8 << 20;
    /** Staging buffer (slow path) in floats: 32 MiB. */
    static final int DEFAULT_CHUNK = 8 << 20;

    private final CheckpointFiles files;
    private final int chunkFloats;
    private final ByteBuffer raw = ByteBuffer.allocateDirect(READ_BYTES);
    private final ReadChannels channels = new ReadChannels();
    private final short[] halves = new short[1 << 14];
    private final float[] floats = new float[1 << 14];
    private ByteBuffer staging;                        // allocated on first use of the slow path
    /** Whether writing into {@code toByteBuffer(true)} reaches the tensor (checked on the first tensor). */
    private Boolean directViews;

    public TensorLoader(CheckpointFiles files) {
        this(files, DEFAULT_CHUNK);
    }

    /** @param chunkFloats staging size for the slow path; below {@link Integer#MAX_VALUE} it also caps the fast path */
    TensorLoader(CheckpointFiles files, int chunkFloats) {
        this.files = files;
        this.chunkFloats = chunkFloats;
    }

    /** The named tensor as a float32 NDArray of its file shape, owned by {@code manager}. */
    public NDArray load(String name, NDManager manager) {
        TensorInfo info = info(name);
        NDArray t = manager.create(new Shape(info.shape()), DataType.FLOAT32);      // uninitialised, torch-owned
        try {
            fill(name, t);
        } catch (RuntimeException e) {
            t.close();
            throw e;
        }
        t.setName(name);
        return t;
    }

    /**
     * Overwrites {@code target} (float32, contiguous, as many elements as the tensor) with the named tensor:
     * how the layer-streamed evaluator reuses one layer's buffers for every layer, so that no layer allocates
     * (and page-faults in) fresh memory.
     */
    public void fill(String name, NDArray target) {
        TensorInfo info = info(name);
        long numel = info.numel();
        if (target.getDataType() != DataType.FLOAT32 || target.getShape().size() != numel) {
            throw new IllegalArgumentException("tensor '" + name + "' (" + numel + " values) does not fit "
                    + target.getShape() + " " + target.getDataType());
        }
        try {
            boolean direct = numel <= chunkFloats && numel * Float.BYTES <= Integer.MAX_VALUE - 8 && directViews != Boolean.FALSE;
            if (direct) {
                ByteBuffer view = target.toByteBuffer(true).order(ByteOrder.nativeOrder());
                direct = view.isDirect() && view.capacity() == numel * Float.BYTES;
                if (direct) {
                    FloatBuffer out = view.asFloatBuffer();
                    read(info, out, null);
                    if (directViews == null) {                 // once: does writing the view reach the tensor?
                        try (NDArray flat = target.flatten(); NDArray last = flat.get(numel - 1)) {
                            directViews = Float.floatToRawIntBits(last.getFloat())
                                    == Float.floatToRawIntBits(out.get((int) numel - 1));
                        }
                        direct = directViews;
                    }
                }
            }
            if (!direct) {
                fillStaged(info, target);
            }
        } catch (IOException e) {
            throw ProsparseException.io("Reading tensor '" + name + "' from " + files.dir() + " failed: " + e, e);
        }
    }

    /** The slow path: decode into a staging buffer, copy it into slices of the flattened target. */
    private void fillStaged(TensorInfo info, NDArray target) throws IOException {
        if (staging == null) {
            staging = ByteBuffer.allocateDirect(chunkFloats * Float.BYTES).order(ByteOrder.nativeOrder());
        }
        FloatBuffer out = staging.asFloatBuffer();
        long[] written = {0};
        try (NDManager scope = target.getManager().newSubManager()) {
            NDArray flat = target.reshape(new Shape(info.numel()));                    // a view: same memory
            flat.attach(scope);
            read(info, out, () -> {
                int n = out.position();
                ByteBuffer part = staging.duplicate().order(ByteOrder.nativeOrder());
                part.position(0).limit(n * Float.BYTES);
                try (NDArray a = scope.create(part.slice().order(ByteOrder.nativeOrder()), new Shape(n), DataType.FLOAT32)) {
                    flat.set(new NDIndex().addSliceDim(written[0], written[0] + n), a);   // copy into torch memory
                }
                written[0] += n;
                out.clear();
            });
        }
    }

    private TensorInfo info(String name) {
        TensorInfo info = files.info(name);
        if (!info.dtype().isFloating()) {
            throw ProsparseException.checkpoint(files.dir() + ": tensor '" + name + "' has dtype " + info.dtype()
                    + "; weights must be F32, F16 or BF16");
        }
        return info;
    }

    /**
     * Streams the tensor's bytes from its file, decoding them into {@code out}; when {@code out} is full
     * (and at the end) {@code flush} empties it; a null {@code flush} means {@code out} holds the whole tensor.
     */
    private void read(TensorInfo info, FloatBuffer out, Runnable flush) throws IOException {
        SafetensorsFile file = files.fileOf(info.name());
        FileChannel ch = channels.of(file.path());
        long pos = file.dataStart() + info.begin();
        long end = pos + info.byteLength();
        if (end > ch.size()) {
            throw ProsparseException.checkpoint(file.path() + ": tensor '" + info.name() + "' lies past the end of the"
                    + " file, which is truncated; download it again");
        }
        DType dtype = info.dtype();
        int size = dtype.byteSize();
        long decoded = 0;
        while (pos < end) {
            raw.clear().limit((int) Math.min(READ_BYTES, end - pos));
            while (raw.hasRemaining()) {                       // whole elements: READ_BYTES is a multiple of 8
                int n = ch.read(raw, pos + raw.position());
                if (n < 0) {
                    throw new EOFException("end of " + file.path() + " at byte " + (pos + raw.position()));
                }
            }
            pos += raw.position();
            raw.flip();
            ByteBuffer in = raw.order(ByteOrder.LITTLE_ENDIAN);
            int count = in.remaining() / size;
            for (int done = 0; done < count; ) {
                if (!out.hasRemaining()) {
                    if (flush == null) {
                        throw new IllegalStateException("tensor '" + info.name() + "' has more values than its shape");
                    }
                    flush.run();
                }
                int n = Math.min(Math.min(out.remaining(), count - done), halves.length);
                FloatCodec.decode(dtype, in, floats, 0, n, halves);
                out.put(floats, 0, n);
                done += n;
                decoded += n;
            }
        }
        if (flush != null && out.position() > 0) {
            flush.run();
        }
        if (decoded != info.numel()) {
            throw ProsparseException.checkpoint(files.dir() + ": tensor '" + info.name() + "' yielded " + decoded
                    + " values, its header says " + info.numel());
        }
    }

    @Override
    public void close() {
        channels.close();
    }
}
