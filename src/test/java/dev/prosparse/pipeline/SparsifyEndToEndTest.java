package dev.prosparse.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.Fixtures;
import dev.prosparse.TorchTest;
import dev.prosparse.cli.Cli;
import dev.prosparse.gguf.GgufReader;
import dev.prosparse.predict.ModelIdentity;
import dev.prosparse.util.Json;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code prosparse sparsify} end to end on tiny-llama with a short recipe (6 steps, tiny predictors), interrupted
 * twice — inside the training, then after the predictors — and re-run: each re-run skips the finished steps.
 */
class SparsifyEndToEndTest extends TorchTest {

    static List<String> args(Path out, String target) {
        List<String> a = new ArrayList<>(List.of("sparsify", "--model", Fixtures.model("tiny-llama").toString(),
                "--target-sparsity", target, "--out", out.toString(), "--threads", "2",
                "--samples", "320", "--seq-len", "32", "--epochs", "2", "--windows", "2", "--recall", "0.95"));
        for (String s : List.of("data.train=embedded:valid", "seq_len=32", "batch_size=2", "eval.windows=2", "eval.every=0",
                "save.every=1", "save.keep_last=2", "log_every=1", "seed=4321", "schedule.warmup_steps=2",
                "final_threshold=0.01", "stages=[{name: swap, steps: 3, l1_lambda: 0.0, ramp: constant},"
                        + " {name: ramp, steps: 3, l1_lambda: 1.0, ramp: sine}]")) {
            a.add("--set");
            a.add(s);
        }
        return a;
    }

    static Cli run(Path out, String target, String property, String value) {
        if (property != null) {
            System.setProperty(property, value);
        }
        try {
            return Cli.run(args(out, target).toArray(String[]::new));
        } finally {
            if (property != null) {
                System.clearProperty(property);
            }
        }
    }

    @Test
    void interruptedTwiceThenFinishedSkippingWhatWasDone(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("sparse-tiny");
        // 1: Ctrl-C as the training finishes step 2 (saved): convert done, training interrupted
        Cli first = run(out, "0.8", "prosparse.stopAfterStep", "2");
        assertEquals(130, first.exitCode(), first.err());
        JsonNode state = Json.MAPPER.readTree(out.resolve("sparsify.json").toFile());
        assertTrue(state.path("steps").path("convert").path("done").asBoolean(), state.toString());
        assertFalse(state.path("steps").has("train"), state.toString());
        assertTrue(Files.isDirectory(out.resolve("train/step-000002")), "the interrupted training saved step 2");

        // 2: re-run, stopped after the predictors: convert skipped, training resumed and finished
        Cli second = run(out, "0.8", SparsifyPipeline.STOP_AFTER, "predictors");
        assertEquals(130, second.exitCode(), second.err());
        assertTrue(second.err().contains("stopped after step predictors"), second.err());
        assertTrue(Files.isRegularFile(out.resolve("train/final_report.json")));
        assertTrue(Files.isRegularFile(out.resolve("predictors/predictors.json")));
        assertFalse(Files.exists(out.resolve("final")));

        // 3: re-run to the end: three steps skipped, export and model card run
        Cli third = run(out, "0.8", null, null);
        assertEquals(0, third.exitCode(), third.err());
        for (String s : List.of("| convert | skipped (done earlier)", "| train | skipped (done earlier)",
                "| predictors | skipped (done earlier)", "| export | ran", "| model card | ran")) {
            assertTrue(third.out().contains(s), s + " in:\n" + third.out());
        }
        Path fin = out.resolve("final");
        assertEquals("PWRI", GgufReader.read(fin.resolve(SparsifyPipeline.GGUF)).magic());
        assertTrue(Files.isRegularFile(fin.resolve("config.json")) && Files.isRegularFile(fin.resolve("tokenizer.json")));
        String card = Files.readString(fin.resolve("README.md"));
        assertTrue(card.startsWith("---\nbase_model: "), card);
        assertTrue(card.contains("\nlicense: ") && card.contains("\ntags:\n  - prosparse\n"), card);
        assertTrue(card.contains("| model | FFN activations zero | perplexity |"), card);
        assertTrue(card.contains("prosparse sparsify --model " + Fixtures.model("tiny-llama") + " --target-sparsity 0.8"), card);
        JsonNode preds = Json.MAPPER.readTree(fin.resolve("predictors/predictors.json").toFile());
        assertEquals(ModelIdentity.fingerprint(out.resolve("train/final")), preds.path("model").path("weights_fingerprint").asText());
        assertEquals(ModelIdentity.fingerprint(out.resolve("train/final")), ModelIdentity.fingerprint(fin),
                "final/ holds the trained weights");

        // 4: once more: everything skipped; 5: other settings refused, nothing touched
        Cli fourth = run(out, "0.8", null, null);
        assertEquals(0, fourth.exitCode(), fourth.err());
        assertTrue(fourth.out().contains("| model card | skipped (done earlier)"), fourth.out());
        Cli other = run(out, "0.9", null, null);
        assertEquals(2, other.exitCode(), other.err());
        assertTrue(other.err().contains("holds a sparsify run with other settings (target_sparsity 0.8 → 0.9)"), other.err());
        assertTrue(Files.isRegularFile(fin.resolve("README.md")));
    }
}
