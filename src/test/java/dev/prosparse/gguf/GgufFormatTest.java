package dev.prosparse.gguf;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer against hand-assembled bytes of a tiny GGUF v3 file, the reader back, and the q/k permutation by hand. */
class GgufFormatTest {

    @Test
    void tinyFileMatchesHandBuiltBytes(@TempDir Path dir) throws Exception {
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("general.architecture", new GgufValue.Str("llama"));
        GgufTensor t = new GgufTensor("t", new long[] {2, 3}, GgufTensor.GgmlType.F32, new float[] {1, 2, 3, 4, 5, 6});
        Path f = dir.resolve("t.gguf");
        GgufWriter.write(f, "GGUF", kv, List.of(t));
        String hex = ""
                + "47475546" + "03000000" + "0100000000000000" + "0100000000000000"            // magic, v3, 1 tensor, 1 kv
                + "1400000000000000" + hex("general.architecture") + "08000000"               // key, type STRING
                + "0500000000000000" + hex("llama")                                           // value
                + "0100000000000000" + hex("t") + "02000000"                                   // name, 2 dims
                + "0300000000000000" + "0200000000000000"                                     // ne0 = 3 cols, ne1 = 2 rows
                + "00000000" + "0000000000000000"                                             // F32, offset 0
                + "00".repeat(128 - 110)                                                      // pad 110 → 128
                + "0000803f" + "00000040" + "00004040" + "00008040" + "0000a040" + "0000c040"; // 1..6 little-endian
        assertEquals(hex, HexFormat.of().formatHex(Files.readAllBytes(f)));

        GgufReader.File r = GgufReader.read(f);
        assertEquals("GGUF", r.magic());
        assertEquals(3, r.version());
        assertEquals(new GgufValue.Str("llama"), r.kv().get("general.architecture"));
        assertArrayEquals(new long[] {2, 3}, r.tensor("t").shape());
        assertArrayEquals(t.data(), r.tensor("t").data());
        assertEquals(128, r.dataStart());
    }

    @Test
    void typedValuesAndF16RoundTrip(@TempDir Path dir) {
        Map<String, GgufValue> kv = new LinkedHashMap<>();
        kv.put("a.u32", new GgufValue.U32(4096));
        kv.put("a.f32", new GgufValue.F32(1e-5f));
        kv.put("a.bool", new GgufValue.Bool(true));
        kv.put("a.arr", new GgufValue.Arr(GgufValue.INT32, List.of(new GgufValue.I32(1), new GgufValue.I32(-6))));
        kv.put("a.strs", new GgufValue.Arr(GgufValue.STRING, List.of(new GgufValue.Str("▁the"), new GgufValue.Str("<0x0A>"))));
        // 0.5, −2 and 65504 are exact in F16; 0.1 is not (nearest F16: 0.0999755859375)
        GgufTensor a = new GgufTensor("a", new long[] {4}, GgufTensor.GgmlType.F16, new float[] {0.5f, -2f, 65504f, 0.1f});
        GgufTensor b = new GgufTensor("b", new long[] {1}, GgufTensor.GgmlType.F32, new float[] {7f});
        Path f = dir.resolve("x.gguf");
        GgufWriter.write(f, "PWRI", kv, List.of(a, b));
        GgufReader.File r = GgufReader.read(f);
        assertEquals("PWRI", r.magic());
        assertEquals(kv, r.kv());
        assertArrayEquals(new float[] {0.5f, -2f, 65504f, 0.0999755859375f}, r.tensor("a").data());
        assertArrayEquals(new float[] {7f}, r.tensor("b").data());
    }

    @Test
    void lazyTensorsAreReadOneAtATimeWhenWritten(@TempDir Path dir) {
        // the exporter's memory bound at 7B: no weight is read before the writer reaches it, each exactly once
        java.util.List<String> reads = new java.util.ArrayList<>();
        GgufTensor a = GgufTensor.lazy("a", new long[] {2}, GgufTensor.GgmlType.F32, () -> { reads.add("a"); return new float[] {1f, 2f}; });
        GgufTensor b = GgufTensor.lazy("b", new long[] {3}, GgufTensor.GgmlType.F16, () -> { reads.add("b"); return new float[] {3f, 4f, 5f}; });
        Path f = dir.resolve("lazy.gguf");
        assertEquals(List.of(), reads);
        GgufWriter.write(f, "GGUF", new LinkedHashMap<>(), List.of(a, b));
        assertEquals(List.of("a", "b"), reads);
        GgufReader.File r = GgufReader.read(f);
        assertArrayEquals(new float[] {1f, 2f}, r.tensor("a").data());
        assertArrayEquals(new float[] {3f, 4f, 5f}, r.tensor("b").data());
    }

    @Test
    void lazyTensorOfTheWrongLengthFailsAndLeavesNoFile(@TempDir Path dir) {
        GgufTensor bad = GgufTensor.lazy("bad", new long[] {4}, GgufTensor.GgmlType.F32, () -> new float[] {1f, 2f});
        Path f = dir.resolve("bad.gguf");
        RuntimeException ex = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                () -> GgufWriter.write(f, "GGUF", new LinkedHashMap<>(), List.of(bad)));
        org.junit.jupiter.api.Assertions.assertTrue(String.valueOf(ex.getMessage()).contains("bad") || ex.getCause() != null, ex.toString());
        org.junit.jupiter.api.Assertions.assertFalse(Files.exists(f));
    }

    @Test
    void qkPermutationByHand() {
        // 2 heads of D = 4, one column: HF rows per head are [first halves..., second halves...] = (0,1 | 2,3);
        // llama.cpp interleaves them: (0,2,1,3)
        float[] w = {0, 1, 2, 3, 4, 5, 6, 7};
        assertArrayEquals(new float[] {0, 2, 1, 3, 4, 6, 5, 7}, LlamaGguf.permuteQk(w, 2, 1));
        assertArrayEquals(w, LlamaGguf.unpermuteQk(LlamaGguf.permuteQk(w, 2, 1), 2, 1));
    }

    /** HF's rotate_half rope on x equals ggml's adjacent-pair rope (mode 0) on the permuted x, permuted. */
    @Test
    void permutationTurnsRotateHalfIntoAdjacentPairs() {
        int d = 8, half = d / 2;
        float[] x = {0.3f, -1.2f, 2.5f, 0.7f, -0.4f, 1.1f, 0.9f, -2.2f};
        double pos = 5, theta = 10000;
        float[] hf = new float[d];
        for (int i = 0; i < half; i++) {
            double a = pos * Math.pow(theta, -2.0 * i / d), c = Math.cos(a), s = Math.sin(a);
            hf[i] = (float) (x[i] * c - x[i + half] * s);
            hf[i + half] = (float) (x[i + half] * c + x[i] * s);
        }
        float[] px = LlamaGguf.permuteQk(x, 1, 1);
        float[] gg = new float[d];
        for (int i = 0; i < half; i++) {
            double a = pos * Math.pow(theta, -2.0 * i / d), c = Math.cos(a), s = Math.sin(a);
            gg[2 * i] = (float) (px[2 * i] * c - px[2 * i + 1] * s);
            gg[2 * i + 1] = (float) (px[2 * i] * s + px[2 * i + 1] * c);
        }
        assertArrayEquals(LlamaGguf.permuteQk(hf, 1, 1), gg, 1e-6f);
    }

    static String hex(String s) {
        return HexFormat.of().formatHex(s.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
}
