package dev.prosparse.convert;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.Fixtures;
import dev.prosparse.TorchTestBase;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.SafetensorsFile;
import dev.prosparse.config.Activation;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.Weights;
import dev.prosparse.util.Json;
import dev.prosparse.util.Torch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Proof that the output is a model others can load: our own loader reads it back, its forward pass matches
 * what transformers computes for the new activation (golden logits), and {@code report sparsity} on the output
 * equals {@code report sparsity --act …} on the source — for every model family (windows of 80 tokens, longer than
 * tiny-mistral's 64-token sliding window).
 */
class ConvertLoadTest extends TorchTestBase {
    @TempDir
    Path tmp;

    static Path convert(Path tmp, String model, String act, String threshold) {
        Path out = tmp.resolve(model + "-" + act);
        List<String> args = new ArrayList<>(List.of("convert", "--model", Fixtures.model(model).toString(), "--act", act,
                "--out", out.toString()));
        if (threshold != null) {
            args.addAll(List.of("--threshold", threshold));
        }
        ConvertFixtures.cli(args.toArray(String[]::new)).expect(0);
        return out;
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"tiny-llama, relu, ", "tiny-llama, fatrelu, 0.01", "tiny-minicpm, relu, ", "tiny-minicpm, fatrelu, 0.01",
        "tiny-llama3, relu, ", "tiny-qwen2, fatrelu, 0.01", "tiny-qwen3, relu, ", "tiny-mistral, relu, "})
    void reportSparsityOfTheOutputEqualsReportWithActOnTheSource(String model, String act, String threshold)
            throws IOException {
        Path out = convert(tmp, model, act, threshold);
        List<String> common = List.of("--format", "json", "--windows", "4", "--seq-len", "80", "--batch-size", "4",
                "--threads", "2");
        List<String> onOut = new ArrayList<>(List.of("report", "sparsity", "--model", out.toString()));
        onOut.addAll(common);
        List<String> onSrc = new ArrayList<>(List.of("report", "sparsity", "--model", Fixtures.model(model).toString(),
                "--act", act));
        if (threshold != null) {
            onSrc.addAll(List.of("--threshold", threshold));
        }
        onSrc.addAll(common);
        ObjectNode a = (ObjectNode) Json.MAPPER.readTree(ConvertFixtures.cli(onOut.toArray(String[]::new)).expect(0).out());
        ObjectNode b = (ObjectNode) Json.MAPPER.readTree(ConvertFixtures.cli(onSrc.toArray(String[]::new)).expect(0).out());
        assertEquals(act, a.at("/model/hidden_act").asText(), "the output's own config says " + act);
        assertEquals("silu", b.at("/model/hidden_act").asText());
        assertEquals(act, a.get("activation").asText());
        assertTrue(a.get("zero_fraction").asDouble() > 0.3, "ReLU-family activations give zeros: " + a.get("zero_fraction"));
        for (ObjectNode n : List.of(a, b)) {
            ((ObjectNode) n.get("model")).remove(List.of("path", "hidden_act"));
            if (n.get("evaluation") instanceof ObjectNode ev) {
                ev.remove("seconds"); // wall time, the one field that may differ
            }
        }
        assertEquals(b, a, "same numbers, to the bit");
    }

    @ParameterizedTest(name = "{0} {1}")
    @CsvSource({"tiny-llama, relu, ", "tiny-llama, fatrelu, 0.01", "tiny-minicpm, relu, ", "tiny-minicpm, fatrelu, 0.01",
        "tiny-llama3, relu, ", "tiny-qwen2, fatrelu, 0.01", "tiny-qwen3, relu, ", "tiny-mistral, relu, "})
    void ourLoaderReadsItBackAndItsLogitsMatchTransformers(String model, String act, String threshold) {
        Path out = convert(tmp, model, act, threshold);
        ModelConfig srcConfig = ModelConfig.read(Fixtures.model(model));
        ModelConfig config = ModelConfig.read(out);
        assertEquals(Activation.parse(act, "test"), config.hiddenAct());
        assertEquals(threshold == null ? 0.0 : Double.parseDouble(threshold), config.hiddenActParam());
        try (CheckpointFiles srcFiles = CheckpointFiles.open(Fixtures.model(model));
                CheckpointFiles files = CheckpointFiles.open(out);
                Weights src = Weights.load(srcConfig, srcFiles, base);
                Weights w = Weights.load(config, files, base);
                NDManager scope = base.newSubManager()) {
            for (String name : src.asMap().keySet()) {
                assertArrayEquals(src.get(name).toFloatArray(), w.get(name).toFloatArray(), name);
            }
            // the model as the converted config describes it: activation read from config.json
            CausalLM lm = new CausalLM(config, w, config.hiddenAct(), config.hiddenActParam());
            long[] ids;
            float[] expected;
            try (SafetensorsFile g = SafetensorsFile.open(Fixtures.golden(model + ".safetensors"))) {
                ids = g.readInt64("input_ids");
                expected = g.readFloat32(act.equals("relu") ? "logits_relu" : "logits_" + act + "_last");
            }
            NDArray logits = lm.forward(Torch.fromLongs(scope, ids, new Shape(2, ids.length / 2)), false).logits();
            if (!act.equals("relu")) {
                logits = logits.get(new NDIndex(":, -1, :"));
            }
            double err = relErr(logits.toFloatArray(), expected);
            assertTrue(err <= 1e-5, model + " " + act + ": logits relative error " + err);
        }
    }

    static double relErr(float[] a, float[] b) {
        assertEquals(b.length, a.length);
        double num = 0;
        double den = 0;
        for (int i = 0; i < a.length; i++) {
            double d = a[i] - b[i];
            num += d * d;
            den += (double) b[i] * b[i];
        }
        return Math.sqrt(num / den);
    }

    /** The golden file's fatrelu threshold is the one this test passes. */
    static void checkGoldenParam(String model) throws IOException {
        JsonNode g = Json.MAPPER.readTree(Fixtures.golden(model + ".json").toFile());
        assertEquals(0.01, g.at("/acts/fatrelu/param").asDouble());
    }

    @org.junit.jupiter.api.Test
    void goldenThresholdsAreTheOnesUsedHere() throws IOException {
        checkGoldenParam("tiny-llama");
        checkGoldenParam("tiny-minicpm");
        checkGoldenParam("tiny-qwen2");
    }
}
