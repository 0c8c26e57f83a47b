package dev.prosparse.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.Fixtures;
import dev.prosparse.cli.Main;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.DType;
import dev.prosparse.io.FloatCodec;
import dev.prosparse.io.SafetensorsFile;
import dev.prosparse.io.SafetensorsIndex;
import dev.prosparse.config.Activation;
import dev.prosparse.util.Hashing;
import dev.prosparse.util.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What convert writes: config, weights, sharding, other files, the sidecar. */
class ConverterTest {
    static final List<String> COPIED = List.of("generation_config.json", "special_tokens_map.json", "tokenizer.json",
            "tokenizer_config.json");

    @TempDir
    Path tmp;

    static JsonNode json(Path p) throws IOException {
        return Json.MAPPER.readTree(p.toFile());
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"tiny-llama, relu, ", "tiny-llama, fatrelu, 0.01", "tiny-minicpm, relu, ", "tiny-minicpm, shiftrelu, 0.05",
        "tiny-llama, drelu, ", "tiny-minicpm, relu2, "})
    void onlyTheActivationChangesAndWeightsAreByteCopies(String model, String actName, Double threshold)
            throws IOException {
        Path src = Fixtures.model(model);
        Path out = tmp.resolve("nested/out-" + actName);
        Activation act = Activation.parse(actName, "test");
        ConvertResult r = new Converter().convert(ConvertRequest.of(src, out, act, threshold));
        assertTrue(r.written());
        assertEquals(out.toAbsolutePath(), r.out());

        ObjectNode before = (ObjectNode) json(src.resolve("config.json"));
        ObjectNode after = (ObjectNode) json(out.resolve("config.json"));
        assertEquals(actName, after.get("hidden_act").asText());
        if (threshold != null) {
            assertEquals(threshold, after.get("hidden_act_param").asDouble());
        } else {
            assertFalse(after.has("hidden_act_param"));
        }
        before.remove(List.of("hidden_act", "hidden_act_param"));
        after.remove(List.of("hidden_act", "hidden_act_param"));
        assertEquals(before, after, "every other key of config.json is kept");
        List<String> beforeKeys = Json.MAPPER.convertValue(json(src.resolve("config.json")), Map.class).keySet().stream()
                .map(Object::toString).toList();
        List<String> afterKeys = Json.MAPPER.convertValue(json(out.resolve("config.json")), Map.class).keySet().stream()
                .map(Object::toString).filter(k -> !k.equals("hidden_act_param") || beforeKeys.contains(k)).toList();
        assertEquals(beforeKeys, afterKeys, "and in the same order");

        assertEquals(-1, Files.mismatch(src.resolve("model.safetensors"), out.resolve("model.safetensors")),
                "--dtype keep is a byte copy");
        for (String f : COPIED) {
            assertEquals(-1, Files.mismatch(src.resolve(f), out.resolve(f)), f);
        }
        List<String> expected = new java.util.ArrayList<>(COPIED);
        expected.addAll(List.of("config.json", "model.safetensors", "prosparse.json"));
        assertEquals(expected.stream().sorted().toList(), ConvertFixtures.names(out));
        assertEquals(ConvertFixtures.names(out), r.files());

        JsonNode side = json(out.resolve("prosparse.json"));
        assertEquals("prosparse", side.get("tool").asText());
        assertEquals(Main.version(), side.get("version").asText());
        assertEquals("convert", side.get("command").asText());
        assertNotNull(Instant.parse(side.get("date").asText()), "ISO-8601 date");
        assertEquals(actName, side.get("activation").asText());
        assertEquals(threshold == null, side.get("threshold").isNull());
        assertEquals("keep", side.get("dtype").asText());
        assertEquals(src.toAbsolutePath().normalize().toString(), side.at("/source/path").asText());
        assertEquals("silu", side.at("/source/hidden_act").asText());
        JsonNode files = side.at("/source/files");
        assertTrue(files.size() >= 6, files.toString());
        for (JsonNode f : files) {
            assertEquals(Files.size(src.resolve(f.get("name").asText())), f.get("size").asLong());
            assertFalse(f.has("sha256"), "hashes only with --hash");
        }
        assertEquals(List.of("out-" + actName), ConvertFixtures.names(tmp.resolve("nested")), "no temporary folder left");
    }

    @Test
    void hashRecordsTheSha256OfEverySourceFile() throws IOException {
        Path src = Fixtures.model("tiny-llama");
        Path out = tmp.resolve("hashed");
        new Converter().convert(ConvertRequest.of(src, out, Activation.RELU, null).withHash(true));
        JsonNode files = json(out.resolve("prosparse.json")).at("/source/files");
        int n = 0;
        for (JsonNode f : files) {
            assertEquals(Hashing.sha256(src.resolve(f.get("name").asText())), f.get("sha256").asText());
            n++;
        }
        assertEquals(ConvertFixtures.names(src).size(), n, "weights, config and every copied file");
    }

    @Test
    void shardedSourceKeepsItsShardingAndIndex() throws IOException {
        Path sharded = ConvertFixtures.sharded(tmp, "tiny-llama", 1_000_000);
        SafetensorsIndex srcIndex = SafetensorsIndex.read(sharded.resolve(SafetensorsIndex.FILE_NAME));
        assertTrue(srcIndex.shardNames().size() >= 3, srcIndex.shardNames().toString());
        assertFalse(Files.exists(sharded.resolve("model.safetensors")));

        Path out = tmp.resolve("sharded-relu");
        new Converter().convert(ConvertRequest.of(sharded, out, Activation.RELU, null));
        SafetensorsIndex outIndex = SafetensorsIndex.read(out.resolve(SafetensorsIndex.FILE_NAME));
        assertEquals(srcIndex.weightMap(), outIndex.weightMap());
        assertEquals(srcIndex.totalSize(), outIndex.totalSize());
        for (String shard : srcIndex.shardNames()) {
            assertEquals(-1, Files.mismatch(sharded.resolve(shard), out.resolve(shard)), shard + " copied byte for byte");
        }
        try (CheckpointFiles a = CheckpointFiles.open(Fixtures.model("tiny-llama")); CheckpointFiles b = CheckpointFiles.open(out)) {
            assertEquals(a.totalBytes(), outIndex.totalSize().getAsLong());
            for (String name : a.names()) {
                assertArrayEquals(a.readFloat32(name), b.readFloat32(name), name);
            }
        }
        // the sidecar of the sharded source (written by our own re-sharding) is carried along
        assertEquals("silu", json(out.resolve("prosparse.json")).at("/source/prosparse/activation").asText());
    }

    @Test
    void maxShardSizeRepacksAndOneShardBecomesModelSafetensors() throws IOException {
        Path sharded = ConvertFixtures.sharded(tmp, "tiny-minicpm", 700_000);
        int shards = SafetensorsIndex.read(sharded.resolve(SafetensorsIndex.FILE_NAME)).shardNames().size();
        assertTrue(shards >= 3);
        for (String s : SafetensorsIndex.read(sharded.resolve(SafetensorsIndex.FILE_NAME)).shardNames()) {
            assertTrue(s.matches("model-\\d{5}-of-" + String.format("%05d", shards) + "\\.safetensors"), s);
            try (SafetensorsFile f = SafetensorsFile.open(sharded.resolve(s))) {
                long bytes = f.tensors().stream().mapToLong(t -> t.byteLength()).sum();
                assertTrue(bytes <= 700_000 || f.tensors().size() == 1, s + " holds " + bytes + " bytes");
                assertEquals("pt", f.metadata().get("format"));
            }
        }
        Path single = tmp.resolve("single");
        new Converter().convert(ConvertRequest.of(sharded, single, Activation.RELU, null).withMaxShardSize(10_000_000_000L));
        assertEquals(List.of("config.json", "generation_config.json", "model.safetensors", "prosparse.json",
                "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json"), ConvertFixtures.names(single));
        try (CheckpointFiles a = CheckpointFiles.open(Fixtures.model("tiny-minicpm")); CheckpointFiles b = CheckpointFiles.open(single)) {
            assertEquals(a.names(), b.names(), "tensor order kept");
            for (String name : a.names()) {
                assertEquals(DType.BF16, b.info(name).dtype());
                assertArrayEquals(a.readFloat32(name), b.readFloat32(name), name);
            }
        }
    }

    @Test
    void dtypeConversionConvertsEveryTensorAndTheConfigKey() throws IOException {
        Path src = Fixtures.model("tiny-llama");
        Path f32 = tmp.resolve("f32");
        new Converter().convert(ConvertRequest.of(src, f32, Activation.RELU, null).withDtype(TargetDtype.F32));
        assertEquals("float32", json(f32.resolve("config.json")).get("dtype").asText());
        Path f16 = tmp.resolve("f16");
        new Converter().convert(ConvertRequest.of(src, f16, Activation.RELU, null).withDtype(TargetDtype.F16));
        Path back = tmp.resolve("bf16");
        new Converter().convert(ConvertRequest.of(f32, back, Activation.FATRELU, 0.01).withDtype(TargetDtype.BF16));
        try (CheckpointFiles a = CheckpointFiles.open(src); CheckpointFiles b = CheckpointFiles.open(f32);
                CheckpointFiles c = CheckpointFiles.open(f16)) {
            for (String name : a.names()) {
                assertEquals(DType.F32, b.info(name).dtype());
                assertEquals(DType.F16, c.info(name).dtype());
                float[] x = a.readFloat32(name);
                assertArrayEquals(x, b.readFloat32(name), name + ": bf16 → f32 is exact");
                float[] h = c.readFloat32(name);
                for (int i = 0; i < x.length; i++) {
                    assertEquals(FloatCodec.f16ToFloat(FloatCodec.floatToF16(x[i])), h[i], 0.0f, name + "[" + i + "]");
                }
            }
        }
        assertEquals(-1, Files.mismatch(src.resolve("model.safetensors"), back.resolve("model.safetensors")),
                "bf16 → f32 → bf16 gives the original file back");
        // MiniCPM's transformers-4 key is torch_dtype
        Path m = tmp.resolve("minicpm-f16");
        new Converter().convert(ConvertRequest.of(Fixtures.model("tiny-minicpm"), m, Activation.RELU, null)
                .withDtype(TargetDtype.F16));
        assertEquals("float16", json(m.resolve("config.json")).get("torch_dtype").asText());
        assertFalse(json(m.resolve("config.json")).has("dtype"));
    }

    @Test
    void otherWeightFormatsHiddenFilesAndFoldersAreNotCopied() throws IOException {
        Path src = tmp.resolve("src");
        ConvertFixtures.copyDir(Fixtures.model("tiny-llama"), src);
        Files.write(src.resolve("pytorch_model.bin"), new byte[] {1, 2, 3});
        Files.writeString(src.resolve(".gitattributes"), "*.safetensors filter=lfs\n");
        Files.createDirectories(src.resolve("original"));
        Files.writeString(src.resolve("LICENSE.txt"), "licence text\n");
        Files.writeString(src.resolve("modeling_x.py"), "# remote code\n");
        Path out = tmp.resolve("out");
        new Converter().convert(ConvertRequest.of(src, out, Activation.RELU, null));
        List<String> names = ConvertFixtures.names(out);
        assertTrue(names.contains("LICENSE.txt") && names.contains("modeling_x.py"), names.toString());
        assertFalse(names.contains("pytorch_model.bin") || names.contains(".gitattributes") || names.contains("original"),
                names.toString());
    }

    @Test
    void forceReplacesAnExistingOutput() throws IOException {
        Path out = tmp.resolve("out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("stale.txt"), "old");
        new Converter().convert(ConvertRequest.of(Fixtures.model("tiny-llama"), out, Activation.RELU, null).withForce(true));
        assertFalse(Files.exists(out.resolve("stale.txt")));
        assertEquals("relu", json(out.resolve("config.json")).get("hidden_act").asText());
        try (var s = Files.list(tmp)) {
            assertEquals(List.of("out"), s.map(p -> p.getFileName().toString()).toList(), "no .old or .tmp left");
        }
        // an empty existing folder needs no --force
        Path empty = tmp.resolve("empty");
        Files.createDirectories(empty);
        new Converter().convert(ConvertRequest.of(Fixtures.model("tiny-llama"), empty, Activation.RELU, null));
        assertTrue(Files.isRegularFile(empty.resolve("model.safetensors")));
    }
}
