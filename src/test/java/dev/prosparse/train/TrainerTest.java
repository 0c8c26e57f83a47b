package dev.prosparse.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.Fixtures;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.model.Activation;
import dev.prosparse.util.Json;
import dev.prosparse.util.Torch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Short real runs of the trainer on tiny-llama: resume exactness, run-folder layout, divergence. */
class TrainerTest {

    @BeforeAll
    static void start() {
        Torch.start(2);
    }

    /** 8 steps of 2 × 32 tokens: 3 at λ=0, 5 ramping to λ=1, a save every 2 steps. */
    static Recipe shortRecipe(Path out, String... more) {
        List<String> o = new ArrayList<>(List.of(
                "model=" + Fixtures.model("tiny-llama"),
                "data.train=" + dev.prosparse.data.DataSource.EMBEDDED_VALID, // 99K tokens: tokenized in a blink
                "seq_len=32", "batch_size=2", "eval.windows=4", "eval.every=0",
                "save.every=2", "save.keep_last=10", "log_every=1", "threads=2",
                "schedule.warmup_steps=2", "output_dir=" + out,
                "stages=[{name: swap, steps: 3, l1_lambda: 0.0, ramp: constant},"
                        + " {name: ramp, steps: 5, l1_lambda: 1.0, ramp: sine}]"));
        o.addAll(List.of(more));
        return Recipe.load(null, o);
    }

    static Trainer.Result train(Recipe r, Path runDir, Integer stopAfter) {
        RunDir run = Files.isDirectory(runDir) ? new RunDir(runDir) : RunDir.create(runDir, r.toYaml());
        Trainer t = new Trainer(r, run, Path.of(r.model()), 2);
        if (stopAfter != null) {
            t.requestStopAfter(stopAfter);
        }
        return t.run();
    }

    static List<String> trainLosses(Path runDir) throws IOException {
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve(RunDir.METRICS))) {
            JsonNode n = Json.MAPPER.readTree(line);
            if (!n.get("type").asText().equals("final")) {
                // everything but timing: type, step, loss terms, λ, lr, sparsity, eval results
                ((com.fasterxml.jackson.databind.node.ObjectNode) n).remove("tokens_per_s");
                out.add(n.toString());
            }
        }
        return out;
    }

    /**
     * A calibration probe keeps metrics only (no save, final/ or charts) and reads its tokens from the cache it is given;
     * a run with a target reports how far it ended from it in final_report.json.
     */
    @Test
    void probeKeepsMetricsOnlyAndTheTargetIsReported(@TempDir Path tmp) throws IOException {
        Recipe r = shortRecipe(tmp, "l1.target_sparsity=0.99");
        Path dir = tmp.resolve("probe");
        Path cache = tmp.resolve("cache");
        Trainer.Result res = new Trainer(r, RunDir.create(dir, r.toYaml()), Path.of(r.model()), 2).asProbe(cache).run();
        assertEquals(null, res.finalDir());
        try (var files = Files.list(dir)) {
            assertEquals(List.of("final_report.json", RunDir.METRICS, RunDir.RECIPE),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
        try (var files = Files.list(cache)) {
            assertTrue(files.anyMatch(p -> p.toString().endsWith(".tokens")), "tokens cached where the caller said");
        }
        JsonNode rep = Json.MAPPER.readTree(dir.resolve("final_report.json").toFile());
        double achieved = rep.path("trained").path("zero_fraction").asDouble();
        assertEquals(0.99, rep.path("target").path("sparsity").asDouble());
        assertEquals(achieved, rep.path("target").path("achieved").asDouble());
        assertEquals(100 * (achieved - 0.99), rep.path("target").path("distance_points").asDouble(), 1e-9);
        assertEquals(Math.abs(100 * (achieved - 0.99)) > 1, rep.path("target").path("missed").asBoolean());
    }

    @Test
    void interruptedAndResumedEqualsUninterrupted(@TempDir Path tmp) throws IOException {
        Recipe r = shortRecipe(tmp);
        Trainer.Result straight = train(r, tmp.resolve("straight"), null);

        Path resumed = tmp.resolve("resumed");
        ProsparseException stop = assertThrows(ProsparseException.class, () -> train(r, resumed, 5));
        assertEquals(ProsparseException.Kind.INTERRUPTED, stop.kind());
        assertTrue(stop.getMessage().contains("--resume " + resumed), stop.getMessage());
        assertTrue(Files.isDirectory(resumed.resolve("step-000005")), "Ctrl-C saves the step it stopped at");
        Trainer.Result second = train(Recipe.load(resumed.resolve(RunDir.RECIPE), List.of()), resumed, null);

        byte[] a = Files.readAllBytes(straight.finalDir().resolve("model.safetensors"));
        byte[] b = Files.readAllBytes(second.finalDir().resolve("model.safetensors"));
        assertArrayEquals(a, b, "final weights bit for bit");
        assertEquals(trainLosses(tmp.resolve("straight")), trainLosses(resumed), "metrics.jsonl");
        assertEquals(straight.afterShift().loss(), second.afterShift().loss());
    }

    @Test
    void runFolderHoldsLoadableCheckpointsAndState(@TempDir Path tmp) throws IOException {
        Path runDir = tmp.resolve("run");
        Trainer.Result res = train(shortRecipe(tmp, "final_threshold=0.01"), runDir, null);
        RunDir run = new RunDir(runDir);
        assertEquals(List.of(2, 3, 4, 6, 8), run.saves().stream().map(RunDir.Save::step).toList());
        JsonNode state = run.newestSave().orElseThrow().trainerState();
        assertEquals(8, state.get("global_step").asInt());
        assertEquals(1.0, state.get("l1_lambda").asDouble(), 1e-12);
        assertEquals(9, state.get("data_cursor").get("next_step").asInt());
        ModelConfig saved = ModelConfig.read(runDir.resolve("step-000008"));
        assertEquals(Activation.RELU, saved.hiddenAct());
        assertEquals("float32", saved.dtype());
        ModelConfig fin = ModelConfig.read(res.finalDir());
        assertEquals(Activation.FATRELU, fin.hiddenAct());
        assertEquals(0.01, fin.hiddenActParam());
        assertEquals(ModelConfig.read(Fixtures.model("tiny-llama")).raw().get("rope_parameters"), fin.raw().get("rope_parameters"));
        assertTrue(Files.isRegularFile(res.finalDir().resolve("tokenizer.json")));
        assertTrue(Files.isRegularFile(res.finalDir().resolve("prosparse.json")));
        assertTrue(res.afterShift().zeroFraction() >= res.beforeShift().zeroFraction(), "FATReLU only adds zeros");
        JsonNode report = Json.MAPPER.readTree(runDir.resolve("final_report.json").toFile());
        assertEquals("fatrelu", report.get("final").get("activation").asText());
        // no temporary folders are left behind
        try (var s = Files.list(runDir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".tmp-")));
        }
    }

    /** keep_last counts every save (stage ends too); final_format: relu writes the unshifted ReLU model. */
    @Test
    void keepLastPrunesAllSavesAndReluFinalFormatSkipsTheShift(@TempDir Path tmp) throws IOException {
        Path runDir = tmp.resolve("run");
        Trainer.Result res = train(shortRecipe(tmp, "save.keep_last=2", "final_threshold=0.01", "final_format=relu"),
                runDir, null);
        // saves land at steps 2, 3 (stage end), 4, 6, 8 (stage end): only the newest two remain
        assertEquals(List.of(6, 8), new RunDir(runDir).saves().stream().map(RunDir.Save::step).toList());
        ModelConfig fin = ModelConfig.read(res.finalDir());
        assertEquals(Activation.RELU, fin.hiddenAct(), "final_format relu: stock transformers can load final/");
        JsonNode report = Json.MAPPER.readTree(runDir.resolve("final_report.json").toFile());
        assertEquals("relu", report.get("final").get("activation").asText());
        assertEquals("fatrelu", report.get("shifted").get("activation").asText(), "the shift is still measured");
        assertEquals(report.get("trained").get("zero_fraction").asDouble(), report.get("final").get("zero_fraction").asDouble());
        assertTrue(report.get("shifted").get("zero_fraction").asDouble() >= report.get("trained").get("zero_fraction").asDouble());
    }

    @Test
    void nanLossStopsWithTheLastGoodCheckpoint(@TempDir Path tmp) {
        Path runDir = tmp.resolve("nan");
        // an absurd learning rate makes the loss blow up within a few steps
        Recipe r = shortRecipe(tmp, "optimizer.lr=1.0e+30", "grad_clip=0", "schedule.warmup_steps=0");
        ProsparseException e = assertThrows(ProsparseException.class, () -> train(r, runDir, null));
        assertEquals(ProsparseException.Kind.DIVERGED, e.kind());
        assertTrue(e.getMessage().contains("NaN or infinite at step"), e.getMessage());
        assertTrue(e.getMessage().contains("Last good checkpoint"), e.getMessage());
    }
}
