package dev.prosparse.io;

import static dev.prosparse.io.TestFiles.assertFails;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.ProsparseException.Kind;
import dev.prosparse.io.SafetensorsWriter.TensorSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Sharded index files, checkpoint folders and the shared fixtures. */
class CheckpointFilesTest {

    private static final String SHARD1 = "model-00001-of-00002.safetensors";
    private static final String SHARD2 = "model-00002-of-00002.safetensors";

    @TempDir
    Path dir;

    /** Two shards: "x" and "y" in the first, "z" in the second; the index lists z first. */
    private void writeShardedCheckpoint() {
        SafetensorsWriter.write(dir.resolve(SHARD1), Map.of(), List.of(
                TensorSource.ofFloats("x", DType.F32, new long[] {2}, new float[] {1, 2}),
                TensorSource.ofFloats("y", DType.BF16, new long[] {1}, new float[] {3})));
        SafetensorsWriter.write(dir.resolve(SHARD2), Map.of(), List.of(
                TensorSource.ofFloats("z", DType.F16, new long[] {2, 2}, new float[] {4, 5, 6, 7})));
        Map<String, String> map = new LinkedHashMap<>();
        map.put("z", SHARD2);
        map.put("x", SHARD1);
        map.put("y", SHARD1);
        SafetensorsIndex.of(map, 8 + 2 + 8).write(dir.resolve(SafetensorsIndex.FILE_NAME));
    }

    @Test
    void indexRoundTripKeepsOrderAndMetadata() throws IOException {
        Path file = dir.resolve(SafetensorsIndex.FILE_NAME);
        Files.writeString(file, "{\"metadata\": {\"total_size\": 18, \"note\": [1, 2]},"
                + " \"weight_map\": {\"b\": \"s2.safetensors\", \"a\": \"s1.safetensors\", \"c\": \"s2.safetensors\"}}");
        SafetensorsIndex index = SafetensorsIndex.read(file);
        assertEquals(List.of("b", "a", "c"), List.copyOf(index.weightMap().keySet()));
        assertEquals(List.of("s2.safetensors", "s1.safetensors"), index.shardNames());
        assertEquals(List.of(1, 2), index.metadata().get("note"));
        assertEquals(18, index.totalSize().orElseThrow());

        Path copy = dir.resolve("copy.index.json");
        index.write(copy);
        String text = Files.readString(copy);
        assertTrue(text.startsWith("{\n  \"metadata\": {\n    \"total_size\": 18,"), text);
        SafetensorsIndex again = SafetensorsIndex.read(copy);
        assertEquals(index.weightMap(), again.weightMap());
        assertEquals(index.metadata(), again.metadata());

        SafetensorsIndex built = SafetensorsIndex.of(Map.of("t", "one.safetensors"), 42);
        built.write(copy);
        assertEquals(42, SafetensorsIndex.read(copy).totalSize().orElseThrow());
        assertEquals(List.of("copy.index.json", SafetensorsIndex.FILE_NAME),
                Files.list(dir).map(p -> p.getFileName().toString()).sorted().toList());
        assertThrows(IllegalArgumentException.class, () -> SafetensorsIndex.of(Map.of("t", "../x.safetensors"), 1));
    }

    @Test
    void rejectsMalformedIndexFiles() throws IOException {
        Path file = dir.resolve(SafetensorsIndex.FILE_NAME);
        Map<String, String[]> cases = new LinkedHashMap<>();
        cases.put("{\"metadata\": {}}", new String[] {"weight_map"});
        cases.put("{\"weight_map\": []}", new String[] {"weight_map"});
        cases.put("{\"weight_map\": {\"w\": 3}}", new String[] {"'w'"});
        cases.put("{\"weight_map\": {\"w\": \"../evil.safetensors\"}}", new String[] {"'w'", "evil"});
        cases.put("{\"weight_map\": {\"w\": \"sub/a.safetensors\"}}", new String[] {"'w'"});
        cases.put("{\"weight_map\": {\"w\": \"..\"}}", new String[] {"'w'"});
        cases.put("{\"weight_map\": {\"w\": \"a\", \"w\": \"b\"}}", new String[] {"not valid JSON", "Duplicate", "'w'"});
        cases.put("{\"weight_map\": {}, \"metadata\": {\"total_size\": -1}}", new String[] {"total_size"});
        cases.put("{\"weight_map\": {}, \"metadata\": 5}", new String[] {"metadata"});
        cases.put("[", new String[] {"not valid JSON"});
        cases.put("", new String[] {"not a JSON object"});
        cases.put("{\"weight_map\":" + "[".repeat(1000), new String[] {"deeper than 64 levels"});
        for (Map.Entry<String, String[]> c : cases.entrySet()) {
            Files.writeString(file, c.getKey());
            assertFails(Kind.CHECKPOINT, () -> SafetensorsIndex.read(file), c.getValue());
            assertFails(Kind.CHECKPOINT, () -> SafetensorsIndex.read(file), SafetensorsIndex.FILE_NAME);
        }
    }

    /**
     * Shard names that cannot be a file beside the index are refused on read, naming the key: before this, a
     * lone surrogate read from a {@code \\udead} escape was accepted and written back as '?' (fuzz finding, kept
     * as src/test/resources/fuzz/index/crash-lone-surrogate-newline.json). Exit code 3 (a checkpoint problem).
     */
    @Test
    void refusesShardNamesThatCannotBeFileNames() throws IOException {
        Path file = dir.resolve(SafetensorsIndex.FILE_NAME);
        Map<String, String[]> cases = new LinkedHashMap<>();
        // JSON text as written in the file: the backslash escapes are decoded by the JSON reader
        cases.put("{\"weight_map\": {\"x\": \"\\udead\\nmodel-00001-of-00002.safetensors\"}}",
                new String[] {"weight_map key 'x'", "\\u000a", "control character"});
        cases.put("{\"weight_map\": {\"x\": \"\\udeadmodel.safetensors\"}}",
                new String[] {"weight_map key 'x'", "'\\udeadmodel.safetensors'", "lone UTF-16 surrogate"});
        cases.put("{\"weight_map\": {\"x\": \"model\\ud800.safetensors\"}}", new String[] {"lone UTF-16 surrogate"});
        cases.put("{\"weight_map\": {\"x\\udead\": \"model.safetensors\"}}",
                new String[] {"weight_map key 'x\\udead'", "tensor name", "lone UTF-16 surrogate"});
        cases.put("{\"weight_map\": {\"x\": \"a\\tb.safetensors\"}}", new String[] {"'x'", "\\u0009"});
        cases.put("{\"weight_map\": {\"x\": \"a\\u0085b.safetensors\"}}", new String[] {"'x'", "control character"});
        cases.put("{\"weight_map\": {\"x\": \"a\\\\b.safetensors\"}}", new String[] {"'x'", "path separator"});
        cases.put("{\"weight_map\": {\"x\": \"\"}}", new String[] {"'x'", "empty"});
        for (Map.Entry<String, String[]> c : cases.entrySet()) {
            Files.writeString(file, c.getKey(), StandardCharsets.UTF_8);
            assertFails(Kind.CHECKPOINT, () -> SafetensorsIndex.read(file), c.getValue());
            assertFails(Kind.CHECKPOINT, () -> SafetensorsIndex.read(file), "re-download");
        }
        // a valid surrogate pair (an emoji) is a legal file name and survives a rewrite exactly
        Files.writeString(file, "{\"weight_map\": {\"x\\ud83d\\ude00\": \"m\\ud83d\\ude00.safetensors\"}}");
        SafetensorsIndex index = SafetensorsIndex.read(file);
        assertEquals(Map.of("x\ud83d\ude00", "m\ud83d\ude00.safetensors"), index.weightMap());
        index.write(dir.resolve("copy.json"));
        assertEquals(index.weightMap(), SafetensorsIndex.read(dir.resolve("copy.json")).weightMap());
        assertThrows(IllegalArgumentException.class, () -> SafetensorsIndex.of(Map.of("t", "a\ud800.safetensors"), 1));
        assertThrows(IllegalArgumentException.class, () -> SafetensorsIndex.of(Map.of("t", "a\nb.safetensors"), 1));
        assertThrows(IllegalArgumentException.class, () -> SafetensorsIndex.of(Map.of("t\udc00", "a.safetensors"), 1));
    }

    @Test
    void opensAShardedCheckpoint() {
        writeShardedCheckpoint();
        try (CheckpointFiles files = CheckpointFiles.open(dir)) {
            assertEquals(List.of("z", "x", "y"), List.copyOf(files.names()));
            assertEquals(List.of(SHARD2, SHARD1),
                    files.shards().stream().map(f -> f.path().getFileName().toString()).toList());
            assertSame(files.shards().get(1), files.fileOf("x"));
            assertArrayEquals(new float[] {4, 5, 6, 7}, files.readFloat32("z"));
            assertArrayEquals(new float[] {3}, files.readFloat32("y"));
            assertEquals(DType.BF16, files.info("y").dtype());
            assertEquals(18, files.totalBytes());
            assertEquals(18, files.index().orElseThrow().totalSize().orElseThrow());
            assertTrue(files.describe().endsWith(SafetensorsIndex.FILE_NAME));
            assertFails(Kind.CHECKPOINT, () -> files.info("w"), dir.toString(), "'w'");
        }
    }

    @Test
    void reportsAMissingShard() throws IOException {
        writeShardedCheckpoint();
        Files.delete(dir.resolve(SHARD2));
        assertFails(Kind.CHECKPOINT, () -> CheckpointFiles.open(dir), "model.safetensors.index.json names shard '"
                + SHARD2 + "' but it is not in " + dir + "; the download is incomplete");
    }

    @Test
    void reportsATensorMissingFromItsShard() {
        writeShardedCheckpoint();
        SafetensorsWriter.write(dir.resolve(SHARD2), Map.of(), List.of(
                TensorSource.ofFloats("other", DType.F32, new long[] {1}, new float[] {1})));
        assertFails(Kind.CHECKPOINT, () -> CheckpointFiles.open(dir), SafetensorsIndex.FILE_NAME, "'z'", SHARD2);
    }

    @Test
    void explainsFoldersWithoutSafetensors() throws IOException {
        Files.write(dir.resolve("pytorch_model.bin"), new byte[4]);
        Files.writeString(dir.resolve("config.json"), "{}", StandardCharsets.UTF_8);
        assertFails(Kind.CHECKPOINT, () -> CheckpointFiles.open(dir), dir.toString(), "pytorch_model.bin",
                "not supported", "safe_serialization=True");
        Files.delete(dir.resolve("pytorch_model.bin"));
        assertFails(Kind.CHECKPOINT, () -> CheckpointFiles.open(dir), "none");
        assertFails(Kind.CHECKPOINT, () -> CheckpointFiles.open(dir.resolve("config.json")), "not a directory");
    }

    @Test
    void readsTheTinyLlamaFixture() {
        Path modelDir = TestFiles.shared().resolve("fixtures/models/tiny-llama");
        try (CheckpointFiles files = CheckpointFiles.open(modelDir)) {
            SafetensorsFile st = files.shards().get(0);
            assertEquals(39, st.tensors().size());
            assertEquals(39, files.names().size());
            assertEquals(Map.of("format", "pt"), st.metadata());
            assertTrue(files.index().isEmpty());
            TensorInfo embed = files.info("model.embed_tokens.weight");
            assertEquals(DType.BF16, embed.dtype());
            assertArrayEquals(new long[] {4096, 128}, embed.shape());
            float[] data = files.readFloat32("model.embed_tokens.weight");
            assertEquals(4096 * 128, data.length);
            // The first three bf16 values, as raw little-endian 16-bit patterns read straight from the file (not
            // through our reader), decoded by hand: sign bit, 8 exponent bits (bias 127), 7 mantissa bits.
            //   0xBAB3 = 1 01110101 0110011: exponent 117 → 2^-10, mantissa 51 → -(128 + 51)/128 · 2^-10 = -179 · 2^-17
            //   0xBBC7 = 1 01110111 1000111: exponent 119 → 2^-8,  mantissa 71 → -(128 + 71)/128 · 2^-8  = -199 · 2^-15
            //   0x3B03 = 0 01110110 0000011: exponent 118 → 2^-9,  mantissa 3  → +(128 + 3)/128 · 2^-9   = +131 · 2^-16
            long at = dataOffset(modelDir.resolve("model.safetensors"), embed.begin());
            assertArrayEquals(new int[] {0xBAB3, 0xBBC7, 0x3B03}, rawU16(modelDir.resolve("model.safetensors"), at, 3));
            assertArrayEquals(new float[] {-179 * 0x1p-17f, -199 * 0x1p-15f, 131 * 0x1p-16f},
                    java.util.Arrays.copyOf(data, 3));
            double sum = 0;
            for (float v : data) {
                sum += v;
            }
            // Recorded from an independent decoder (Python: struct-unpack each uint16, shift left 16 bits, read as a
            // float32, sum in file order in double precision): -494.88971828389913.
            assertEquals(-494.88971828389913, sum, 1e-9);
            assertEquals(files.shards().stream().mapToLong(f -> f.tensors().stream()
                    .mapToLong(TensorInfo::byteLength).sum()).sum(), files.totalBytes());
            assertTrue(Set.copyOf(files.names()).contains("lm_head.weight"));
        }
    }

    /** Absolute file offset of a tensor's data: 8-byte header length, the header, then {@code begin}. */
    private static long dataOffset(Path file, long begin) {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            return 8 + len.flip().getLong() + begin;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code n} little-endian unsigned 16-bit words at {@code offset}, read with plain NIO. */
    private static int[] rawU16(Path file, long offset, int n) {
        try (FileChannel ch = FileChannel.open(file)) {
            ByteBuffer b = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, offset);
            b.flip();
            int[] out = new int[n];
            for (int i = 0; i < n; i++) {
                out[i] = b.getShort() & 0xFFFF;
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void readsTheGoldenFile() {
        Path golden = TestFiles.shared().resolve("fixtures/golden/tiny-llama.safetensors");
        try (SafetensorsFile st = SafetensorsFile.open(golden)) {
            TensorInfo ids = st.info("input_ids");
            assertEquals(DType.I64, ids.dtype());
            assertArrayEquals(new long[] {2, 32}, ids.shape());
            long[] values = st.readInt64("input_ids");
            assertEquals(64, values.length);
            assertEquals(1, values[0]);
        }
    }

    @Test
    void copiesTheFixtureTensorByTensor() {
        Path modelDir = TestFiles.shared().resolve("fixtures/models/tiny-llama");
        Path out = dir.resolve("model.safetensors");
        try (CheckpointFiles files = CheckpointFiles.open(modelDir)) {
            SafetensorsFile src = files.shards().get(0);
            SafetensorsWriter.write(out, src.metadata(),
                    files.names().stream().map(n -> TensorSource.copyOf(src, n)).toList());
            try (CheckpointFiles copy = CheckpointFiles.open(dir)) {
                assertEquals(Set.copyOf(files.names()), Set.copyOf(copy.names()));
                for (String n : files.names()) {
                    assertEquals(files.info(n).dtype(), copy.info(n).dtype());
                    assertArrayEquals(files.readFloat32(n), copy.readFloat32(n), n);
                }
            }
        }
    }
}
