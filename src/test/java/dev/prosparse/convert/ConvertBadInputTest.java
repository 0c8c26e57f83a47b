package dev.prosparse.convert;

import static dev.prosparse.convert.ConvertFixtures.assertNothingWritten;
import static dev.prosparse.convert.ConvertFixtures.cli;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.Fixtures;
import dev.prosparse.ProsparseException;
import dev.prosparse.io.SafetensorsIndex;
import dev.prosparse.config.Activation;
import dev.prosparse.util.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input: one clear line on stderr, the documented exit code, and nothing written. */
class ConvertBadInputTest {
    @TempDir
    Path tmp;

    String tiny() {
        return Fixtures.model("tiny-llama").toString();
    }

    /** The error line: exactly one line, starting "error: ". */
    static String oneLine(ConvertFixtures.Run r) {
        String err = r.err().strip();
        String[] lines = err.lines().filter(l -> l.startsWith("error: ")).toArray(String[]::new);
        assertEquals(1, lines.length, "one error line in: " + err);
        return lines[0];
    }

    @Test
    void activationAndThresholdErrors() throws IOException {
        Path out = tmp.resolve("out");
        String e = oneLine(cli("convert", "--model", tiny(), "--act", "gelu", "--out", out.toString()).expect(2));
        assertTrue(e.contains("unknown activation 'gelu'") && e.contains("silu, relu, fatrelu, shiftrelu, relu2, drelu"), e);
        e = oneLine(cli("convert", "--model", tiny(), "--act", "fatrelu", "--out", out.toString()).expect(2));
        assertTrue(e.contains("needs a threshold") && e.contains("--threshold 0.01"), e);
        e = oneLine(cli("convert", "--model", tiny(), "--act", "shiftrelu", "--threshold", "-0.5", "--out", out.toString())
                .expect(2));
        assertTrue(e.contains("must be a finite number ≥ 0"), e);
        e = oneLine(cli("convert", "--model", tiny(), "--act", "relu", "--threshold", "0.1", "--out", out.toString())
                .expect(2));
        assertTrue(e.contains("--threshold applies to fatrelu and shiftrelu only"), e);
        e = oneLine(cli("convert", "--model", tiny(), "--act", "relu", "--dtype", "int8", "--out", out.toString()).expect(2));
        assertTrue(e.contains("--dtype int8") && e.contains("keep, f32, f16 or bf16"), e);
        e = oneLine(cli("convert", "--model", tiny(), "--act", "relu", "--max-shard-size", "lots", "--out", out.toString())
                .expect(2));
        assertTrue(e.contains("--max-shard-size lots") && e.contains("5GB"), e);
        assertNothingWritten(out);
    }

    @Test
    void unknownPresetListsThePresets() throws IOException {
        Path out = tmp.resolve("out");
        String e = oneLine(cli("convert", "--model", "llama3-70b", "--act", "relu", "--out", out.toString()).expect(2));
        assertTrue(e.contains("llama3-70b") && e.contains("llama2-13b, llama2-7b, minicpm-1b, mistral-7b-v0.3, qwen2.5-0.5b") && e.contains("qwen3-8b, tiny-llama, tiny-minicpm"), e);
        assertNothingWritten(out);
    }

    @Test
    void indexNamingAMissingShard() throws IOException {
        Path sharded = ConvertFixtures.sharded(tmp, "tiny-llama", 1_000_000);
        String last = SafetensorsIndex.read(sharded.resolve(SafetensorsIndex.FILE_NAME)).shardNames().get(2);
        Files.delete(sharded.resolve(last));
        Path out = tmp.resolve("out");
        String e = oneLine(cli("convert", "--model", sharded.toString(), "--act", "relu", "--out", out.toString()).expect(3));
        assertTrue(e.contains("names shard '" + last + "'") && e.contains("download"), e);
        assertNothingWritten(out);
    }

    @Test
    void tensorShapeThatDisagreesWithTheConfig() throws IOException {
        Path src = tmp.resolve("src");
        ConvertFixtures.copyDir(Fixtures.model("tiny-llama"), src);
        ObjectNode cfg = (ObjectNode) Json.MAPPER.readTree(src.resolve("config.json").toFile());
        cfg.put("intermediate_size", 300);
        Files.writeString(src.resolve("config.json"), Json.MAPPER.writeValueAsString(cfg));
        Path out = tmp.resolve("out");
        String e = oneLine(cli("convert", "--model", src.toString(), "--act", "relu", "--out", out.toString()).expect(3));
        assertTrue(e.contains("mlp.gate_proj.weight' has shape [352, 128] but config.json implies [300, 128]"), e);
        assertNothingWritten(out);
    }

    @Test
    void sourceAlreadyWithTheActivationIsANoOpUnlessForced() throws IOException {
        Path relu = tmp.resolve("relu");
        cli("convert", "--model", tiny(), "--act", "relu", "--out", relu.toString()).expect(0);
        Path again = tmp.resolve("again");
        ConvertFixtures.Run r = cli("convert", "--model", relu.toString(), "--act", "relu", "--out", again.toString()).expect(0);
        assertTrue(r.err().contains("already uses hidden_act relu; nothing to do (pass --force"), r.err());
        assertEquals("", r.out());
        assertNothingWritten(again);
        // a different threshold is a real change
        Path fat = tmp.resolve("fat");
        cli("convert", "--model", tiny(), "--act", "fatrelu", "--threshold", "0.01", "--out", fat.toString()).expect(0);
        cli("convert", "--model", fat.toString(), "--act", "fatrelu", "--threshold", "0.01", "--out", again.toString())
                .expect(0);
        assertNothingWritten(again);
        cli("convert", "--model", fat.toString(), "--act", "fatrelu", "--threshold", "0.02", "--out", again.toString())
                .expect(0);
        assertTrue(Files.isRegularFile(again.resolve("config.json")));
        Path forced = tmp.resolve("forced");
        r = cli("convert", "--model", relu.toString(), "--act", "relu", "--force", "--out", forced.toString()).expect(0);
        assertTrue(r.out().startsWith("wrote " + forced), r.out());
        assertEquals(-1, Files.mismatch(relu.resolve("model.safetensors"), forced.resolve("model.safetensors")));
    }

    @Test
    void outputInsideOrAroundTheSource() throws IOException {
        Path src = tmp.resolve("src");
        ConvertFixtures.copyDir(Fixtures.model("tiny-llama"), src);
        String e = oneLine(cli("convert", "--model", src.toString(), "--act", "relu", "--out", src.resolve("relu").toString())
                .expect(2));
        assertTrue(e.contains("is inside the source folder"), e);
        e = oneLine(cli("convert", "--model", src.toString(), "--act", "relu", "--force", "--out", src.toString()).expect(2));
        assertTrue(e.contains("is the source folder"), e);
        e = oneLine(cli("convert", "--model", src.toString(), "--act", "relu", "--force", "--out", tmp.toString()).expect(2));
        assertTrue(e.contains("contains the source folder"), e);
        assertEquals(ConvertFixtures.names(Fixtures.model("tiny-llama")), ConvertFixtures.names(src), "source untouched");
        // through a symlink too
        Path link = tmp.resolve("link");
        Files.createSymbolicLink(link, src);
        e = oneLine(cli("convert", "--model", src.toString(), "--act", "relu", "--out", link.resolve("x").toString())
                .expect(2));
        assertTrue(e.contains("is inside the source folder"), e);
        assertNothingWritten(src.resolve("relu"));
    }

    @Test
    void existingNonEmptyOutputNeedsForce() throws IOException {
        Path out = tmp.resolve("out");
        Files.createDirectories(out);
        Files.writeString(out.resolve("keep.txt"), "mine");
        String e = oneLine(cli("convert", "--model", tiny(), "--act", "relu", "--out", out.toString()).expect(2));
        assertTrue(e.contains("already exists and is not empty; pass --force"), e);
        assertEquals("mine", Files.readString(out.resolve("keep.txt")));
        Path file = tmp.resolve("file");
        Files.writeString(file, "x");
        e = oneLine(cli("convert", "--model", tiny(), "--act", "relu", "--out", file.toString()).expect(2));
        assertTrue(e.contains("is a file"), e);
    }

    @Test
    void notEnoughDiskSpaceIsCheckedBeforeWriting() throws IOException {
        Path out = tmp.resolve("sub/out");
        long[] asked = {0};
        ProsparseException e = assertThrows(ProsparseException.class, () -> new Converter()
                .withFreeSpace(dir -> {
                    asked[0]++;
                    return 1_000_000;
                })
                .convert(ConvertRequest.of(Fixtures.model("tiny-llama"), out, Activation.RELU, null)));
        assertEquals(ProsparseException.Kind.IO, e.kind());
        assertTrue(e.getMessage().contains("not enough free disk space for --out") && e.getMessage().contains("needs 3.9 MB")
                && e.getMessage().contains("1.0 MB free"), e.getMessage());
        assertEquals(1, asked[0]);
        assertNothingWritten(out);
        assertTrue(!Files.exists(tmp.resolve("sub")), "not even the parent folder is created");
    }

    @Test
    void presetDimensionsAreChecked() throws IOException {
        Path out = tmp.resolve("out");
        String e = oneLine(cli("convert", "--model", "tiny-llama", "--model-dir", Fixtures.model("tiny-minicpm").toString(),
                "--act", "relu", "--out", out.toString()).expect(3));
        assertTrue(e.contains("does not match preset tiny-llama") && !e.contains("hidden_size is")
                && e.contains("intermediate_size is 320, expected 352"), e);
        assertNothingWritten(out);
        // the preset by name resolves to the bundled folder and converts
        cli("convert", "--model", "tiny-llama", "--act", "relu", "--out", out.toString()).expect(0);
        assertEquals("tiny-llama", Json.MAPPER.readTree(out.resolve("prosparse.json").toFile()).at("/source/preset").asText());
        assertEquals("bundled", Json.MAPPER.readTree(out.resolve("prosparse.json").toFile()).at("/source/resolved_from").asText());
    }

    @Test
    void failureHalfWayLeavesNothing() throws IOException {
        Path sharded = ConvertFixtures.sharded(tmp, "tiny-llama", 1_000_000);
        Path out = tmp.resolve("out");
        int[] files = {0};
        RuntimeException e = assertThrows(RuntimeException.class, () -> new Converter()
                .withListener((name, bytes) -> {
                    if (++files[0] == 2) {
                        throw ProsparseException.io("disk exploded", null);
                    }
                })
                .convert(ConvertRequest.of(sharded, out, Activation.RELU, null)));
        assertEquals("disk exploded", e.getMessage());
        assertEquals(2, files[0]);
        assertNothingWritten(out);
    }

    @Test
    void missingSourceFolderListsWhatIsThere() throws IOException {
        Path out = tmp.resolve("out");
        String e = oneLine(cli("convert", "--model", tmp.resolve("nope/model").toString(), "--act", "relu", "--out",
                out.toString()).expect(2));
        assertTrue(e.contains("no such folder") && e.contains(tmp + " holds"), e);
        assertNothingWritten(out);
    }
}
