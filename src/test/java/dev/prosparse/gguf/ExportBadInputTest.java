package dev.prosparse.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.Fixtures;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.predict.ModelIdentity;
import dev.prosparse.predict.Predictor;
import dev.prosparse.predict.PredictorFiles;
import dev.prosparse.util.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * PowerInfer exports given the wrong predictors, a model too dense to gain, an existing output, and n_ff ≤ 1000: one
 * clear error (nothing written) or one warning each.
 */
class ExportBadInputTest {
    static final Path TINY = Fixtures.model("tiny-llama");

    static Path reluCopy(Path dir, String name) throws IOException {
        Path relu = dir.resolve(name);
        Files.createDirectories(relu);
        for (Path p : Files.list(TINY).toList()) {
            Files.copy(p, relu.resolve(p.getFileName()));
        }
        ObjectNode cfg = (ObjectNode) Json.MAPPER.readTree(relu.resolve("config.json").toFile());
        cfg.put("hidden_act", "relu");
        Files.writeString(relu.resolve("config.json"), cfg.toString());
        return relu;
    }

    /** Random predictors for {@code layers} x [352 neurons] x hidden 128, with per-layer predicted sparsity s. */
    static Path predictors(Path dir, String name, Path model, int layers, int neurons, double s) {
        SplittableRandom rnd = new SplittableRandom(5);
        List<Predictor> ps = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            float[] a = new float[16 * 128], b = new float[neurons * 16];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) rnd.nextDouble(-1, 1);
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) rnd.nextDouble(-1, 1);
            }
            ps.add(new Predictor(16, 128, neurons, a, b));
        }
        ObjectNode j = Json.MAPPER.createObjectNode();
        j.put("format_version", PredictorFiles.FORMAT_VERSION);
        j.put("threshold", -1.0);
        j.put("num_hidden_layers", layers);
        if (model != null) {
            j.set("model", ModelIdentity.of(model, ModelConfig.read(model)).toJson());
        }
        ArrayNode ls = j.putArray("layers");
        for (int l = 0; l < layers; l++) {
            ls.addObject().put("layer", l).put("predicted_sparsity", s);
        }
        Path p = dir.resolve(name);
        PredictorFiles.write(p, ps, j);
        return p;
    }

    static GgufExporter.Result export(Path model, Path preds, Path out, int pad) {
        return GgufExporter.export(new GgufExporter.Request(model, preds, out, false, pad, false, false));
    }

    static void refused(Path model, Path preds, Path out, int pad, String... mustSay) {
        ProsparseException e = assertThrows(ProsparseException.class, () -> export(model, preds, out, pad));
        for (String m : mustSay) {
            assertTrue(e.getMessage().contains(m), "'" + m + "' in: " + e.getMessage());
        }
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertFalse(Files.exists(out), "nothing written");
    }

    @Test
    void predictorsOfAnotherShapeAreRefused(@TempDir Path dir) throws IOException {
        Path relu = reluCopy(dir, "relu");
        refused(relu, predictors(dir, "three-layers", null, 3, 352, 0.9), dir.resolve("a.gguf"), 0, "num_hidden_layers 3", "this model has 4");
        refused(relu, predictors(dir, "five-layers", null, 5, 352, 0.9), dir.resolve("b.gguf"), 0, "num_hidden_layers 5");
        refused(relu, predictors(dir, "neurons", null, 4, 300, 0.9), dir.resolve("c.gguf"), 0, "intermediate 352");
    }

    @Test
    void predictorsOfAnotherModelOfTheSameShapeAreRefused(@TempDir Path dir) throws IOException {
        Path a = reluCopy(dir, "a"), b = reluCopy(dir, "b");
        Path predsA = predictors(dir, "preds-a", a, 4, 352, 0.9);
        // b: the same shape, other weights (one byte of the last tensor changed)
        byte[] w = Files.readAllBytes(b.resolve("model.safetensors"));
        w[w.length - 10] ^= 0x5a;
        Files.write(b.resolve("model.safetensors"), w);
        refused(b, predsA, dir.resolve("x.gguf"), 0, "were trained on " + a.toAbsolutePath().normalize(), "weights sha256:",
                "prosparse predictors train --model " + b);
        // the same weights under another activation threshold
        ObjectNode cfg = (ObjectNode) Json.MAPPER.readTree(a.resolve("config.json").toFile());
        Path c = reluCopy(dir, "c");
        cfg.put("hidden_act", "fatrelu");
        cfg.put("hidden_act_param", 0.01);
        Files.writeString(c.resolve("config.json"), cfg.toString());
        refused(c, predsA, dir.resolve("y.gguf"), 0, "hidden_act relu");
        // the right model, moved: accepted without a warning about identity
        Path moved = dir.resolve("moved");
        Files.move(a, moved);
        GgufExporter.Result r = export(moved, predsA, dir.resolve("ok.gguf"), 0);
        assertTrue(r.warnings().stream().noneMatch(x -> x.contains("identity")), r.warnings().toString());
        // predictors that record no model: exported with a warning
        Path old = predictors(dir, "old", null, 4, 352, 0.9);
        GgufExporter.Result o = export(moved, old, dir.resolve("old.gguf"), 0);
        assertTrue(o.warnings().stream().anyMatch(x -> x.contains("records no model identity")), o.warnings().toString());
    }

    @Test
    void aModelTooDenseToGainIsWarnedWithTheExpectedSpeedup(@TempDir Path dir) throws IOException {
        Path relu = reluCopy(dir, "relu");
        GgufExporter.Result dense = export(relu, predictors(dir, "dense", relu, 4, 352, 0.10), dir.resolve("d.gguf"), 0);
        // by hand: E 128, I 352, kv 64, V 4096, r 16: attention 49,152, FFN 135,168, head 524,288 weights per layer / model;
        // dense 4·184,320 + 524,288 = 1,261,568; sparse 4·(49,152 + 0.9·135,168 + 16·480) + 524,288 = 1,238,220 → 1.02x
        assertTrue(dense.warnings().stream().anyMatch(w -> w.contains("hardly pays") && w.contains("10.0%") && w.contains("1.02x")),
                dense.warnings().toString());
        GgufExporter.Result sparse = export(relu, predictors(dir, "sparse", relu, 4, 352, 0.95), dir.resolve("s.gguf"), 0);
        assertTrue(sparse.warnings().stream().noneMatch(w -> w.contains("hardly pays")), sparse.warnings().toString());
    }

    @Test
    void powerInferExportsArePaddedByDefaultAndATooSmallPadIsRefused(@TempDir Path dir) throws IOException {
        Path relu = reluCopy(dir, "relu");
        Path preds = predictors(dir, "p", relu, 4, 352, 0.9);
        GgufExporter.Result r = export(relu, preds, dir.resolve("auto.gguf"), 0);
        assertEquals(1024, r.intermediate());
        assertEquals(new GgufValue.U32(1024), GgufReader.read(dir.resolve("auto.gguf")).kv().get("llama.feed_forward_length"));
        refused(relu, preds, dir.resolve("small.gguf"), 512, "--pad-ffn 512", "n_ff 512", "--pad-ffn 1024");
        assertEquals(2048, export(relu, preds, dir.resolve("big.gguf"), 2048).intermediate());
        // a dense export is not padded
        assertEquals(352, GgufExporter.export(new GgufExporter.Request(TINY, null, dir.resolve("dense.gguf"), false, 0, false,
                false)).intermediate());
    }

    @Test
    void anExistingOutputIsKeptWhole(@TempDir Path dir) throws IOException {
        Path relu = reluCopy(dir, "relu");
        Path preds = predictors(dir, "p", relu, 4, 352, 0.9);
        Path out = dir.resolve("there.gguf");
        Files.writeString(out, "an earlier export");
        ProsparseException e = assertThrows(ProsparseException.class, () -> export(relu, preds, out, 0));
        assertTrue(e.getMessage().contains("--out " + out + " exists"), e.getMessage());
        assertArrayEquals("an earlier export".getBytes(), Files.readAllBytes(out));
    }
}
