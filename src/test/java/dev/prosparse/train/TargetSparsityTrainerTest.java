package dev.prosparse.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.ProsparseException;
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

/** The target-sparsity controller inside real (tiny) training runs: resume exactness and what metrics.jsonl shows. */
class TargetSparsityTrainerTest {

    @BeforeAll
    static void start() {
        Torch.start(2);
    }

    /** TrainerTest's 8-step recipe (3 steps of stage 0, then a 5-step ramp) steered to 80 %. */
    static Recipe controlled(Path out) {
        return TrainerTest.shortRecipe(out, "l1.target_sparsity=0.8", "l1.lambda_init=0.5", "l1.lookahead=2",
                "l1.smoothing=2");
    }

    @Test
    void interruptedAndResumedEqualsUninterrupted(@TempDir Path tmp) throws IOException {
        Recipe r = controlled(tmp);
        Trainer.Result straight = TrainerTest.train(r, tmp.resolve("straight"), null);

        Path resumed = tmp.resolve("resumed");
        ProsparseException stop = assertThrows(ProsparseException.class, () -> TrainerTest.train(r, resumed, 6));
        assertEquals(ProsparseException.Kind.INTERRUPTED, stop.kind());
        JsonNode state = new RunDir(resumed).newestSave().orElseThrow().trainerState();
        assertTrue(state.get(TargetSparsityController.STATE_KEY).get("integral").isNumber(), state.toString());
        Trainer.Result second = TrainerTest.train(Recipe.load(resumed.resolve(RunDir.RECIPE), List.of()), resumed, null);

        assertArrayEquals(Files.readAllBytes(straight.finalDir().resolve("model.safetensors")),
                Files.readAllBytes(second.finalDir().resolve("model.safetensors")), "final weights bit for bit");
        assertEquals(TrainerTest.trainLosses(tmp.resolve("straight")), TrainerTest.trainLosses(resumed),
                "metrics.jsonl, λ and the controller's fields included");
    }

    @Test
    void metricsShowTargetMeasuredAndSteeredLambda(@TempDir Path tmp) throws IOException {
        Path runDir = tmp.resolve("run");
        TrainerTest.train(controlled(tmp), runDir, null);
        List<JsonNode> train = new ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve(RunDir.METRICS))) {
            JsonNode n = Json.MAPPER.readTree(line);
            if (n.get("type").asText().equals("train")) {
                train.add(n);
            }
        }
        assertEquals(8, train.size());
        for (JsonNode n : train.subList(0, 3)) {
            assertEquals(0.0, n.get("lambda").asDouble(), "stage 0: no L1");
            assertFalse(n.has("target_sparsity"), "stage 0: no target");
            assertTrue(n.get("measured_sparsity").isNumber());
        }
        assertEquals(0.5, train.get(3).get("lambda").asDouble(), "first L1 step at lambda_init");
        // step 8 ends the ramp: the target is exactly T there
        assertEquals(0.8, train.get(7).get("target_sparsity").asDouble(), 1e-12);
        // training batches here are ~60 % sparse, far below 80 %: the controller must have raised λ
        assertTrue(train.get(7).get("lambda").asDouble() > 0.5, train.get(7).toString());
    }
}
