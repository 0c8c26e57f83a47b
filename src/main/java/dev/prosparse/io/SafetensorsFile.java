package dev.prosparse.io;

import dev.prosparse.util.Messages;
import dev.prosparse.ProsparseException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A safetensors file opened for reading. {@link #open} validates the whole header up front; tensor data is
 * read on demand through short-lived memory-mapped windows (each at most {@value #WINDOW_BYTES} bytes), so
 * files far larger than 2 GiB work and no whole-file mapping is kept. Safe for concurrent reads.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Size of one memory-mapped window; a multiple of every element size. */
    static final int WINDOW_BYTES = 64 << 20;

    /** Largest element count that fits a Java array. */
    static final int MAX_ARRAY = Integer.MAX_VALUE - 8;

    private final Path path;
    private final FileChannel channel;
    private final SafetensorsHeader header;
    private final Map<String, TensorInfo> byName = new HashMap<>();

    private SafetensorsFile(Path path, FileChannel channel, SafetensorsHeader header) {
        this.path = path;
        this.channel = channel;
        this.header = header;
        header.tensors().forEach(t -> byName.put(t.name(), t));
    }

    /** Opens {@code file} and validates its header; throws a checkpoint error naming the problem if malformed. */
    public static SafetensorsFile open(Path file) {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (NoSuchFileException e) {
            throw ProsparseException.checkpoint(file + " does not exist; check the path.");
        } catch (IOException e) {
            throw ProsparseException.io("Opening " + file + " failed: " + e.getMessage() + "; check permissions.", e);
        }
        try {
            return new SafetensorsFile(file, ch, SafetensorsHeader.read(file, ch));
        } catch (IOException e) {
            closeQuietly(ch);
            throw ProsparseException.io("Reading " + file + " failed: " + e.getMessage() + "; check the disk.", e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    public Path path() {
        return path;
    }

    /** The {@code __metadata__} map (empty if absent). */
    public Map<String, String> metadata() {
        return header.metadata();
    }

    /** All tensors, sorted by their begin offset. */
    public List<TensorInfo> tensors() {
        return header.tensors();
    }

    public Optional<TensorInfo> find(String name) {
        return Optional.ofNullable(byName.get(name));
    }

    /** The named tensor; throws a checkpoint error naming this file if it has no such tensor. */
    public TensorInfo info(String name) {
        TensorInfo t = byName.get(name);
        if (t == null) {
            throw ProsparseException.checkpoint(path + " has no tensor " + Messages.quote(name) + " (it has " + byName.size()
                    + " tensors); check that the checkpoint is complete and of a supported architecture.");
        }
        return t;
    }

    /** Absolute file offset of the data section (8 + header length). */
    public long dataStart() {
        return header.dataStart();
    }

    /** Reads an F32, F16, BF16 or F64 tensor as float32. */
    public float[] readFloat32(String name) {
        TensorInfo t = info(name);
        if (!t.dtype().isFloating()) {
            throw wrongDtype(t, "a floating-point dtype (F32, F16, BF16 or F64)");
        }
        float[] out = new float[arrayLength(t)];
        int done = 0;
        for (Window w : windows(absoluteOffset(dataStart(), t, 0), t.byteLength(), WINDOW_BYTES)) {
            int count = w.size() / t.dtype().byteSize();
            FloatCodec.decode(t.dtype(), map(t, w), out, done, count, null);
            done += count;
        }
        return out;
    }

    /** Reads an I64 or I32 tensor as longs. */
    public long[] readInt64(String name) {
        TensorInfo t = info(name);
        if (t.dtype() != DType.I64 && t.dtype() != DType.I32) {
            throw wrongDtype(t, "an integer dtype (I64 or I32)");
        }
        long[] out = new long[arrayLength(t)];
        int done = 0;
        for (Window w : windows(absoluteOffset(dataStart(), t, 0), t.byteLength(), WINDOW_BYTES)) {
            ByteBuffer b = map(t, w);
            int count = w.size() / t.dtype().byteSize();
            if (t.dtype() == DType.I64) {
                b.asLongBuffer().get(out, done, count);
            } else {
                IntBuffer ints = b.asIntBuffer();
                for (int i = 0; i < count; i++) {
                    out[done + i] = ints.get(i);
                }
            }
            done += count;
        }
        return out;
    }

    /**
     * Streams the tensor's raw bytes to {@code out} window by window. Read failures become a
     * {@link ProsparseException}; write failures of {@code out} propagate as IOException.
     */
    public void copyRaw(String name, WritableByteChannel out) throws IOException {
        TensorInfo t = info(name);
        for (Window w : windows(absoluteOffset(dataStart(), t, 0), t.byteLength(), WINDOW_BYTES)) {
            ByteBuffer b = map(t, w);
            while (b.hasRemaining()) {
                out.write(b);
            }
        }
    }

    /** Absolute file offset of element {@code index} of {@code t}; exact long arithmetic. */
    static long absoluteOffset(long dataStart, TensorInfo t, long index) {
        return Math.addExact(Math.addExact(dataStart, t.begin()), Math.multiplyExact(index, t.dtype().byteSize()));
    }

    /** A region of the file to map: absolute position and size (always under 2 GiB). */
    record Window(long position, int size) {
    }

    /** Splits {@code [position, position+length)} into consecutive windows of at most {@code maxWindow} bytes. */
    static List<Window> windows(long position, long length, int maxWindow) {
        List<Window> out = new ArrayList<>();
        for (long off = 0; off < length; off += maxWindow) {
            out.add(new Window(Math.addExact(position, off), (int) Math.min(maxWindow, length - off)));
        }
        return out;
    }

    private ByteBuffer map(TensorInfo t, Window w) {
        try {
            if (w.position() + w.size() > channel.size()) {
                throw ProsparseException.checkpoint(path + ": tensor " + Messages.quote(t.name()) + " lies past the end of the file,"
                        + " which has shrunk since it was opened; do not modify checkpoints while converting them.");
            }
            return channel.map(FileChannel.MapMode.READ_ONLY, w.position(), w.size()).order(ByteOrder.LITTLE_ENDIAN);
        } catch (IOException e) {
            throw ProsparseException.io("Reading tensor " + Messages.quote(t.name()) + " from " + path + " failed: " + e
                    + "; check the disk and that the file is still open.", e);
        }
    }

    private int arrayLength(TensorInfo t) {
        if (t.numel() > MAX_ARRAY) {
            throw ProsparseException.checkpoint(path + ": tensor " + Messages.quote(t.name()) + " has " + t.numel()
                    + " elements, more than one Java array can hold (" + MAX_ARRAY + "); it cannot be read whole.");
        }
        return (int) t.numel();
    }

    private ProsparseException wrongDtype(TensorInfo t, String expected) {
        return ProsparseException.checkpoint(path + ": tensor " + Messages.quote(t.name()) + " has dtype " + t.dtype()
                + ", expected " + expected + "; the checkpoint does not match the expected model format.");
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw ProsparseException.io("Closing " + path + " failed: " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // the header error being thrown is the useful one
        }
    }
}
