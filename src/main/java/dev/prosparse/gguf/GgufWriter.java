package dev.prosparse.gguf;

import dev.prosparse.io.DType;
import dev.prosparse.io.FloatCodec;
import dev.prosparse.util.AtomicFiles;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Writes a GGUF v3 file (docs/powerinfer.md): magic, version 3, tensor count, kv count, the kv pairs, the tensor
 * infos (name, dims in ggml order, type, offset), zero padding to the alignment, then each tensor's data at its
 * aligned offset. {@code magic} is "GGUF" or PowerInfer's "PWRI". Written atomically. Each tensor's data is taken
 * (for a lazy tensor: read) only when it is written, and dropped after.
 */
public final class GgufWriter {
    public static final int VERSION = 3;
    public static final int DEFAULT_ALIGNMENT = 32;

    private GgufWriter() {}

    public static void write(Path target, String magic, Map<String, GgufValue> kv, List<GgufTensor> tensors) {
        byte[] header = header(magic, kv, tensors);
        long total = header.length;
        for (GgufTensor t : tensors) {
            total = align(total) + t.byteSize();
        }
        long bytes = total;
        AtomicFiles.write(target, bytes, ch -> ch, out -> {
            writeFully(out, ByteBuffer.wrap(header));
            long pos = header.length;
            for (GgufTensor t : tensors) {
                long pad = align(pos) - pos;
                writeFully(out, ByteBuffer.allocate((int) pad));
                pos += pad;
                float[] data = t.data();                     // a lazy tensor is read here, one at a time
                if (data.length != t.elements()) {
                    throw new IllegalStateException(t.name() + ": " + data.length + " values for shape "
                            + java.util.Arrays.toString(t.shape()));
                }
                ByteBuffer buf = ByteBuffer.allocate((int) t.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
                FloatCodec.encode(data, t.type() == GgufTensor.GgmlType.F16 ? DType.F16 : DType.F32, buf);
                buf.flip();
                writeFully(out, buf);
                pos += t.byteSize();
            }
        });
    }

    static long align(long pos) {
        return (pos + DEFAULT_ALIGNMENT - 1) / DEFAULT_ALIGNMENT * DEFAULT_ALIGNMENT;
    }

    /** Everything before the data section, padded to the alignment. */
    static byte[] header(String magic, Map<String, GgufValue> kv, List<GgufTensor> tensors) {
        if (magic.length() != 4) {
            throw new IllegalArgumentException("magic must be 4 ASCII characters: " + magic);
        }
        Buf b = new Buf();
        b.raw(magic.getBytes(StandardCharsets.US_ASCII));
        b.u32(VERSION);
        b.u64(tensors.size());
        b.u64(kv.size());
        for (Map.Entry<String, GgufValue> e : kv.entrySet()) {
            b.str(e.getKey());
            b.u32(e.getValue().type());
            value(b, e.getValue());
        }
        long offset = 0;
        for (GgufTensor t : tensors) {
            b.str(t.name());
            b.u32(t.shape().length);
            for (int i = t.shape().length - 1; i >= 0; i--) {
                b.u64(t.shape()[i]);                 // ggml order: innermost first
            }
            b.u32(t.type().code);
            offset = align(offset);
            b.u64(offset);
            offset += t.byteSize();
        }
        while (b.size() % DEFAULT_ALIGNMENT != 0) {
            b.raw(new byte[] {0});
        }
        return b.bytes();
    }

    private static void value(Buf b, GgufValue v) {
        if (v instanceof GgufValue.U32 x) {
            b.u32(x.value());
        } else if (v instanceof GgufValue.I32 x) {
            b.u32(x.value() & 0xffffffffL);
        } else if (v instanceof GgufValue.F32 x) {
            b.u32(Float.floatToRawIntBits(x.value()) & 0xffffffffL);
        } else if (v instanceof GgufValue.Bool x) {
            b.raw(new byte[] {(byte) (x.value() ? 1 : 0)});
        } else if (v instanceof GgufValue.Str x) {
            b.str(x.value());
        } else if (v instanceof GgufValue.U64 x) {
            b.u64(x.value());
        } else if (v instanceof GgufValue.Arr a) {
            b.u32(a.elementType());
            b.u64(a.values().size());
            for (GgufValue e : a.values()) {
                if (e.type() != a.elementType()) {
                    throw new IllegalArgumentException("array of type " + a.elementType() + " holds a " + e.type());
                }
                value(b, e);
            }
        } else {
            throw new IllegalArgumentException("unsupported value " + v);
        }
    }

    private static void writeFully(WritableByteChannel out, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            out.write(buf);
        }
    }

    /** A growable little-endian byte buffer. */
    static final class Buf {
        private ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);

        private void room(int n) {
            if (buf.remaining() < n) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(buf.capacity() * 2, buf.position() + n)).order(ByteOrder.LITTLE_ENDIAN);
                buf.flip();
                bigger.put(buf);
                buf = bigger;
            }
        }

        void raw(byte[] b) {
            room(b.length);
            buf.put(b);
        }

        void u32(long v) {
            room(4);
            buf.putInt((int) v);
        }

        void u64(long v) {
            room(8);
            buf.putLong(v);
        }

        void str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u64(b.length);
            raw(b);
        }

        int size() {
            return buf.position();
        }

        byte[] bytes() {
            byte[] out = new byte[buf.position()];
            buf.duplicate().flip().get(out);
            return out;
        }
    }
}
