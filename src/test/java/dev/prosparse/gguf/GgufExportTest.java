package dev.prosparse.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.Fixtures;
import dev.prosparse.ProsparseException;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.predict.Predictor;
import dev.prosparse.predict.PredictorFiles;
import dev.prosparse.util.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Exports of the tiny-llama fixture read back with our reader and checked against the checkpoint's tensors. */
class GgufExportTest {
    static final Path TINY = Fixtures.model("tiny-llama");

    @Test
    void denseExportHasLlamaCppKeysNamesAndPermutedQk(@TempDir Path dir) {
        Path out = dir.resolve("tiny.gguf");
        GgufExporter.export(new GgufExporter.Request(TINY, null, out, true, 0, false, false));
        GgufReader.File f = GgufReader.read(out);
        assertEquals("GGUF", f.magic());
        assertEquals(new GgufValue.Str("llama"), f.kv().get("general.architecture"));
        assertEquals(new GgufValue.U32(128), f.kv().get("llama.embedding_length"));
        assertEquals(new GgufValue.U32(352), f.kv().get("llama.feed_forward_length"));
        assertEquals(new GgufValue.U32(2), f.kv().get("llama.attention.head_count_kv"));
        assertEquals(new GgufValue.F32(1e-5f), f.kv().get("llama.attention.layer_norm_rms_epsilon"));
        assertEquals(new GgufValue.Str("llama"), f.kv().get("tokenizer.ggml.model"));
        GgufValue.Arr toks = (GgufValue.Arr) f.kv().get("tokenizer.ggml.tokens");
        GgufValue.Arr types = (GgufValue.Arr) f.kv().get("tokenizer.ggml.token_type");
        assertEquals(4096, toks.values().size());
        // fixtures/README: <unk>=0, <s>=1, </s>=2, bytes <0x00>..<0xFF> = 3..258
        assertEquals(new GgufValue.Str("<s>"), toks.values().get(1));
        assertEquals(new GgufValue.Str("<0x41>"), toks.values().get(3 + 0x41));
        assertEquals(new GgufValue.I32(2), types.values().get(0));
        assertEquals(new GgufValue.I32(3), types.values().get(1));
        assertEquals(new GgufValue.I32(6), types.values().get(3 + 0x41));
        assertEquals(new GgufValue.I32(1), types.values().get(300));
        assertEquals(4 * 9 + 3, f.tensors().size());
        try (CheckpointFiles cf = CheckpointFiles.open(TINY)) {
            float[] q = cf.readFloat32("model.layers.1.self_attn.q_proj.weight");   // [4·32, 128]
            float[] gq = f.tensor("blk.1.attn_q.weight").data();
            // head 2, pair i = 5: GGUF rows 2·32 + 10 and + 11 are HF rows 2·32 + 5 and 2·32 + 16 + 5
            for (int c = 0; c < 128; c++) {
                assertEquals(q[(64 + 5) * 128 + c], gq[(64 + 10) * 128 + c]);
                assertEquals(q[(64 + 21) * 128 + c], gq[(64 + 11) * 128 + c]);
            }
            float[] k = cf.readFloat32("model.layers.0.self_attn.k_proj.weight");   // [2·32, 128]
            assertArrayEquals(k, LlamaGguf.unpermuteQk(f.tensor("blk.0.attn_k.weight").data(), 2, 128));
            assertArrayEquals(cf.readFloat32("model.layers.3.mlp.down_proj.weight"), f.tensor("blk.3.ffn_down.weight").data());
            assertArrayEquals(new long[] {128, 352}, f.tensor("blk.3.ffn_down.weight").shape());
            assertArrayEquals(cf.readFloat32("lm_head.weight"), f.tensor("output.weight").data());
        }
    }

    @Test
    void powerInferExportLayoutAndRefusals(@TempDir Path dir) throws Exception {
        Path relu = dir.resolve("relu");
        Files.createDirectories(relu);
        for (Path p : Files.list(TINY).toList()) {
            Files.copy(p, relu.resolve(p.getFileName()));
        }
        ObjectNode cfg = (ObjectNode) Json.MAPPER.readTree(relu.resolve("config.json").toFile());
        cfg.put("hidden_act", "relu");
        Files.writeString(relu.resolve("config.json"), cfg.toString());
        Path preds = dir.resolve("preds");
        SplittableRandom rnd = new SplittableRandom(3);
        List<Predictor> ps = new ArrayList<>();
        for (int l = 0; l < 4; l++) {
            float[] a = new float[16 * 128], b = new float[352 * 16];
            for (int i = 0; i < a.length; i++) {
                a[i] = (float) rnd.nextDouble();
            }
            for (int i = 0; i < b.length; i++) {
                b[i] = (float) rnd.nextDouble();
            }
            ps.add(new Predictor(16, 128, 352, a, b));
        }
        ObjectNode pj = Json.MAPPER.createObjectNode();
        pj.put("format_version", PredictorFiles.FORMAT_VERSION);
        pj.put("threshold", -1.0);
        PredictorFiles.write(preds, ps, pj);

        Path out = dir.resolve("tiny.pwri.gguf");
        GgufExporter.export(new GgufExporter.Request(relu, preds, out, false, 1024, false, false));
        GgufReader.File f = GgufReader.read(out);
        assertEquals("PWRI", f.magic());
        assertEquals(new GgufValue.F32(-1f), f.kv().get("powerinfer.sparse_threshold"));
        assertEquals(new GgufValue.U32(1024), f.kv().get("llama.feed_forward_length"));
        assertTrue(f.tensors().stream().noneMatch(t -> t.name().endsWith("ffn_down.weight")));
        GgufTensor downT = f.tensor("blk.2.ffn_down_t.weight");
        assertArrayEquals(new long[] {1024, 128}, downT.shape());
        assertEquals(GgufTensor.GgmlType.F16, downT.type());
        assertEquals(GgufTensor.GgmlType.F32, f.tensor("blk.2.ffn_norm.weight").type());
        assertArrayEquals(new long[] {16, 128}, f.tensor("blk.2.fc1.weight").shape());
        assertArrayEquals(new long[] {1024, 16}, f.tensor("blk.2.fc2.weight").shape());
        try (CheckpointFiles cf = CheckpointFiles.open(TINY)) {
            float[] down = cf.readFloat32("model.layers.2.mlp.down_proj.weight");   // [128, 352]
            for (int j = 0; j < 352; j += 37) {
                for (int c = 0; c < 128; c += 11) {
                    float want = down[c * 352 + j];
                    assertEquals(want, downT.data()[j * 128 + c], Math.abs(want) * 1e-3 + 1e-7, "down_t[" + j + "," + c + "]");
                }
            }
            for (int c = 0; c < 128; c++) {
                assertEquals(0f, downT.data()[700 * 128 + c]);   // a padded neuron
            }
        }
        // refusals
        ProsparseException dense = assertThrows(ProsparseException.class,
                () -> GgufExporter.export(new GgufExporter.Request(relu, null, dir.resolve("d.gguf"), false, 0, false, false)));
        assertTrue(dense.getMessage().contains("SiLU"), dense.getMessage());
        assertFalse(Files.exists(dir.resolve("d.gguf")));
        assertThrows(ProsparseException.class,
                () -> GgufExporter.export(new GgufExporter.Request(relu, preds, dir.resolve("f.gguf"), true, 0, false, false)));
        cfg.put("hidden_act", "relu2");
        Files.writeString(relu.resolve("config.json"), cfg.toString());
        ProsparseException r2 = assertThrows(ProsparseException.class,
                () -> GgufExporter.export(new GgufExporter.Request(relu, preds, dir.resolve("r.gguf"), false, 0, false, false)));
        assertTrue(r2.getMessage().contains("relu2"), r2.getMessage());
    }
}
