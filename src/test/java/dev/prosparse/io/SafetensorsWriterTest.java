package dev.prosparse.io;

import static dev.prosparse.io.TestFiles.assertFails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.prosparse.ProsparseException.Kind;
import dev.prosparse.io.SafetensorsWriter.TensorSource;
import dev.prosparse.util.FaultInjection;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafetensorsWriterTest {

    @TempDir
    Path dir;

    private static final float[] VALUES = {1f, -2f, 0.5f, 1024f, -0.0f, 3.140625f};

    private static List<TensorSource> sampleTensors() {
        return List.of(
                TensorSource.ofFloats("a.f32", DType.F32, new long[] {2, 3}, new float[] {0.1f, 2, 3, 4, 5, 6}),
                TensorSource.ofFloats("b.f16", DType.F16, new long[] {6}, VALUES),
                TensorSource.ofFloats("c.bf16", DType.BF16, new long[] {3, 2}, VALUES),
                TensorSource.ofLongs("d.i64", new long[] {1, 3}, new long[] {1, -1, Long.MAX_VALUE}),
                TensorSource.ofFloats("e.scalar", DType.BF16, new long[] {}, new float[] {0.1f}));
    }

    private List<String> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void roundTripsAllDtypesAndMetadata() throws IOException {
        Path file = dir.resolve("out.safetensors");
        SafetensorsWriter.write(file, Map.of("note", "hello"), sampleTensors());
        assertEquals(List.of("out.safetensors"), listDir());
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(Map.of("format", "pt", "note", "hello"), st.metadata());
            assertEquals(0, st.dataStart() % 8);
            assertEquals(List.of("a.f32", "b.f16", "c.bf16", "d.i64", "e.scalar"),
                    st.tensors().stream().map(TensorInfo::name).toList());
            assertEquals(DType.F16, st.info("b.f16").dtype());
            assertArrayEquals(new long[] {3, 2}, st.info("c.bf16").shape());
            assertArrayEquals(new float[] {0.1f, 2, 3, 4, 5, 6}, st.readFloat32("a.f32"));
            assertArrayEquals(VALUES, st.readFloat32("b.f16"));
            assertArrayEquals(VALUES, st.readFloat32("c.bf16"));
            assertArrayEquals(new long[] {1, -1, Long.MAX_VALUE}, st.readInt64("d.i64"));
            assertArrayEquals(new float[] {FloatCodec.bf16ToFloat(FloatCodec.floatToBf16(0.1f))},
                    st.readFloat32("e.scalar"));
            long end = st.tensors().get(st.tensors().size() - 1).end();
            assertEquals(Files.size(file), st.dataStart() + end);
        }
        String header = new String(Files.readAllBytes(file), 8, 200, StandardCharsets.UTF_8);
        assertEquals(0, header.indexOf("{\"__metadata__\":{"), header);
    }

    @Test
    void keepsAnExplicitFormatAndCopiesRawTensors() throws IOException {
        Path first = dir.resolve("first.safetensors");
        SafetensorsWriter.write(first, Map.of("format", "np"), sampleTensors());
        Path copy = dir.resolve("copy.safetensors");
        try (SafetensorsFile src = SafetensorsFile.open(first)) {
            assertEquals("np", src.metadata().get("format"));
            SafetensorsWriter.write(copy, Map.of(), List.of(TensorSource.copyOf(src, "c.bf16"),
                    TensorSource.copyOf(src, "d.i64")));
        }
        try (SafetensorsFile st = SafetensorsFile.open(copy)) {
            assertEquals(Map.of("format", "pt"), st.metadata());
            assertArrayEquals(VALUES, st.readFloat32("c.bf16"));
            assertArrayEquals(new long[] {1, -1, Long.MAX_VALUE}, st.readInt64("d.i64"));
        }
    }

    @Test
    void diskFullLeavesNoTempFileAndKeepsTheOldTarget() throws IOException {
        Path file = dir.resolve("model.safetensors");
        byte[] old = "previous contents".getBytes(StandardCharsets.UTF_8);
        Files.write(file, old);
        var e = assertFails(Kind.IO,
                () -> SafetensorsWriter.write(file, Map.of(), sampleTensors(), ch -> new FaultInjection.DiskFullChannel(ch, 300)),
                "model.safetensors", "no space left on device", "bytes needed", "--out");
        assertEquals(IOException.class, e.getCause().getClass());
        assertEquals(List.of("model.safetensors"), listDir());
        assertArrayEquals(old, Files.readAllBytes(file));

        Path fresh = dir.resolve("fresh.safetensors");
        assertFails(Kind.IO,
                () -> SafetensorsWriter.write(fresh, Map.of(), sampleTensors(), ch -> new FaultInjection.DiskFullChannel(ch, 0)),
                "fresh.safetensors", "no space left on device");
        assertEquals(List.of("model.safetensors"), listDir());
    }

    @Test
    void rejectsSourcesThatWriteTheWrongNumberOfBytes() throws IOException {
        TensorSource liar = new TensorSource() {
            public String name() {
                return "liar";
            }

            public DType dtype() {
                return DType.F32;
            }

            public long[] shape() {
                return new long[] {4};
            }

            public void writeTo(WritableByteChannel out) throws IOException {
                out.write(ByteBuffer.allocate(12));
            }
        };
        Path file = dir.resolve("x.safetensors");
        assertFails(Kind.CHECKPOINT, () -> SafetensorsWriter.write(file, Map.of(), List.of(liar)),
                "x.safetensors", "'liar'", "12 bytes", "16");
        assertEquals(List.of(), listDir());
    }

    @Test
    void rejectsDuplicateNamesAndBadArguments() throws IOException {
        Path file = dir.resolve("dup.safetensors");
        TensorSource t = TensorSource.ofLongs("t", new long[] {1}, new long[] {1});
        assertFails(Kind.CHECKPOINT, () -> SafetensorsWriter.write(file, Map.of(), List.of(t, t)),
                "dup.safetensors", "'t'");
        assertEquals(List.of(), listDir());
        assertThrows(IllegalArgumentException.class,
                () -> TensorSource.ofFloats("x", DType.F32, new long[] {3}, new float[2]));
        assertThrows(IllegalArgumentException.class,
                () -> TensorSource.ofFloats("x", DType.I32, new long[] {2}, new float[2]));
        assertFails(Kind.IO, () -> SafetensorsWriter.write(dir.resolve("no/such/dir/x.safetensors"), Map.of(),
                List.of(t)), "x.safetensors", "does not exist");
    }
}
