package dev.prosparse.gguf;

import dev.prosparse.ProsparseException;
import dev.prosparse.io.FloatCodec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads a GGUF v3 file written by {@link GgufWriter} (F32/F16 tensors) back, for round-trip checks and tests. */
public final class GgufReader {

    public record File(String magic, int version, Map<String, GgufValue> kv, List<GgufTensor> tensors, long dataStart) {
        public GgufTensor tensor(String name) {
            return tensors.stream().filter(t -> t.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no tensor " + name));
        }
    }

    private GgufReader() {}

    public static File read(Path path) {
        byte[] all;
        try {
            all = Files.readAllBytes(path);
        } catch (IOException e) {
            throw ProsparseException.io("Could not read " + path + ": " + e.getMessage(), e);
        }
        return parse(all, path.toString());
    }

    public static File parse(byte[] bytes, String where) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        try {
            byte[] m = new byte[4];
            b.get(m);
            String magic = new String(m, StandardCharsets.US_ASCII);
            if (!magic.equals("GGUF") && !magic.equals("PWRI")) {
                throw ProsparseException.checkpoint(where + ": not a GGUF file (magic '" + magic + "')");
            }
            int version = b.getInt();
            long nTensors = b.getLong(), nKv = b.getLong();
            Map<String, GgufValue> kv = new LinkedHashMap<>();
            for (long i = 0; i < nKv; i++) {
                String key = str(b);
                kv.put(key, value(b, b.getInt()));
            }
            long alignment = kv.get("general.alignment") instanceof GgufValue.U32 a ? a.value() : GgufWriter.DEFAULT_ALIGNMENT;
            List<String> names = new ArrayList<>();
            List<long[]> shapes = new ArrayList<>();
            List<Integer> types = new ArrayList<>();
            List<Long> offsets = new ArrayList<>();
            for (long i = 0; i < nTensors; i++) {
                names.add(str(b));
                int nd = b.getInt();
                long[] shape = new long[nd];
                for (int d = 0; d < nd; d++) {
                    shape[nd - 1 - d] = b.getLong();     // back to torch order
                }
                shapes.add(shape);
                types.add(b.getInt());
                offsets.add(b.getLong());
            }
            long dataStart = (b.position() + alignment - 1) / alignment * alignment;
            List<GgufTensor> tensors = new ArrayList<>();
            for (int i = 0; i < names.size(); i++) {
                GgufTensor.GgmlType t = GgufTensor.GgmlType.of(types.get(i));
                long n = 1;
                for (long d : shapes.get(i)) {
                    n *= d;
                }
                if (offsets.get(i) % alignment != 0) {
                    throw ProsparseException.checkpoint(where + ": tensor " + names.get(i) + " offset " + offsets.get(i)
                            + " is not aligned to " + alignment);
                }
                ByteBuffer d = ByteBuffer.wrap(bytes, Math.toIntExact(dataStart + offsets.get(i)), Math.toIntExact(n * t.bytes))
                        .slice().order(ByteOrder.LITTLE_ENDIAN);
                float[] data = new float[Math.toIntExact(n)];
                for (int k = 0; k < data.length; k++) {
                    data[k] = t == GgufTensor.GgmlType.F32 ? d.getFloat() : FloatCodec.f16ToFloat(d.getShort());
                }
                tensors.add(new GgufTensor(names.get(i), shapes.get(i), t, data));
            }
            return new File(magic, version, kv, tensors, dataStart);
        } catch (java.nio.BufferUnderflowException | IndexOutOfBoundsException e) {
            throw ProsparseException.checkpoint(where + ": truncated GGUF file");
        }
    }

    private static String str(ByteBuffer b) {
        byte[] s = new byte[Math.toIntExact(b.getLong())];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static GgufValue value(ByteBuffer b, int type) {
        switch (type) {
            case GgufValue.UINT32:
                return new GgufValue.U32(b.getInt() & 0xffffffffL);
            case GgufValue.INT32:
                return new GgufValue.I32(b.getInt());
            case GgufValue.FLOAT32:
                return new GgufValue.F32(b.getFloat());
            case GgufValue.BOOL:
                return new GgufValue.Bool(b.get() != 0);
            case GgufValue.STRING:
                return new GgufValue.Str(str(b));
            case GgufValue.UINT64:
                return new GgufValue.U64(b.getLong());
            case GgufValue.ARRAY: {
                int et = b.getInt();
                long n = b.getLong();
                List<GgufValue> vs = new ArrayList<>();
                for (long i = 0; i < n; i++) {
                    vs.add(value(b, et));
                }
                return new GgufValue.Arr(et, vs);
            }
            default:
                throw new IllegalArgumentException("GGUF value type " + type + " not supported by this reader");
        }
    }
}
