package dev.prosparse.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.dist.LocalGroup;
import dev.prosparse.dist.ZeroState;
import dev.prosparse.io.SafetensorsFile;
import dev.prosparse.util.Json;
import dev.prosparse.util.Torch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The trainer as two ranks of the IN-PROCESS STAND-IN backend ({@link LocalGroup}: threads of this JVM, not c10d; the
 * two-process Gloo run is scripts/gpu-dist-check.sh): 4 steps with grad_accum 1 on two ranks, stopped after step 2
 * and resumed on two ranks, end with the weights and losses of one process with grad_accum 2 (same global batch; the
 * uninterrupted two-rank step is DistributedStepTest's); only rank 0 writes the run's files; every save
 * holds both optimizer shards; a two-rank run stopped at step 2 resumes on one process (re-shard 2 → 1) and a one-process
 * run stopped at step 2 resumes on two ranks (1 → 2), each ending where the uninterrupted run ends.
 *
 * <p>Tolerance: 1e-5 absolute on the final float32 weights and 1e-5 relative on the logged losses (the sums of the
 * micro-batch gradients are formed in another order; on this CPU they came out bit-identical).
 */
class DistributedTrainerTest {
    @TempDir
    static Path shared;
    private static Trainer.Result one;     // the reference: one process, grad_accum 2, 4 steps uninterrupted

    @BeforeAll
    static void start() {
        Torch.start(2);
        one = single(shared.resolve("one"), null);
    }

    static Recipe recipe(Path out, int gradAccum) {
        return TrainerTest.shortRecipe(out, "grad_accum=" + gradAccum,
                "stages=[{name: swap, steps: 2, l1_lambda: 0.0, ramp: constant}, {name: l1, steps: 2, l1_lambda: 1.0, ramp: constant}]");
    }

    /** One process, grad_accum 2 (also when it resumes a two-rank run, whose recipe says 1: the same global batch). */
    static Trainer.Result single(Path runDir, Integer stopAfter) {
        return TrainerTest.train(Files.isDirectory(runDir) ? Recipe.load(runDir.resolve(RunDir.RECIPE), List.of("grad_accum=2"))
                : recipe(runDir.getParent(), 2), runDir, stopAfter);
    }

    static List<Trainer.Result> ranks(Path runDir, Integer stopAfter) {
        Recipe r = Files.isDirectory(runDir) ? Recipe.load(runDir.resolve(RunDir.RECIPE), List.of())
                : recipe(runDir.getParent(), 1);
        RunDir run = Files.isDirectory(runDir) ? new RunDir(runDir) : RunDir.create(runDir, r.toYaml());
        // the recipe of a run resumed on two ranks says grad_accum 2 (it was written by one process): one rank each
        Recipe rr = r.gradAccum() == 2 ? Recipe.load(runDir.resolve(RunDir.RECIPE), List.of("grad_accum=1")) : r;
        // (a resume at another world size keeps the recipe's grad_accum, so its global batch changes: docs/distributed.md)
        return LocalGroup.run(2, Duration.ofSeconds(120), c -> {
            Trainer t = new Trainer(rr, run, Path.of(rr.model()), 2, DistributedRun.of(c));
            if (stopAfter != null) {
                t.requestStopAfter(stopAfter);
            }
            return t.run();
        });
    }

    static float[] weights(Path dir, String name) {
        try (SafetensorsFile f = SafetensorsFile.open(dir.resolve("model.safetensors"))) {
            return f.readFloat32(name);
        }
    }

    static void assertSameWeights(Path expected, Path actual) {
        try (SafetensorsFile f = SafetensorsFile.open(expected.resolve("model.safetensors"))) {
            for (var info : f.tensors()) {
                float[] a = f.readFloat32(info.name()), b = weights(actual, info.name());
                for (int i = 0; i < a.length; i++) {
                    assertEquals(a[i], b[i], 1e-5, info.name() + "[" + i + "]");
                }
            }
        }
    }

    static List<double[]> losses(Path runDir) throws IOException {
        List<double[]> out = new ArrayList<>();
        for (String line : Files.readAllLines(runDir.resolve(RunDir.METRICS))) {
            JsonNode n = Json.MAPPER.readTree(line);
            if (n.get("type").asText().equals("train")) {
                out.add(new double[] {n.get("step").asInt(), n.get("lm_loss").asDouble(), n.get("l1").asDouble(),
                        n.get("grad_norm").asDouble()});
            }
        }
        return out;
    }

    static void assertSameLosses(Path expected, Path actual) throws IOException {
        List<double[]> a = losses(expected), b = losses(actual);
        assertEquals(a.size(), b.size(), "logged steps");
        for (int i = 0; i < a.size(); i++) {
            for (int k = 1; k < 4; k++) {
                assertEquals(a.get(i)[k], b.get(i)[k], 1e-5 * Math.abs(a.get(i)[k]) + 1e-12, "step " + a.get(i)[0] + " field " + k);
            }
        }
    }

    @Test
    void twoRanksStoppedAndResumedTrainLikeOneProcessWithTheSameGlobalBatch(@TempDir Path tmp) throws IOException {
        ProsparseException stop = assertThrows(ProsparseException.class, () -> ranks(tmp.resolve("two"), 2));
        assertEquals(ProsparseException.Kind.INTERRUPTED, stop.kind());
        assertEquals(2, ZeroState.savedWorld(tmp.resolve("two").resolve(RunDir.saveName(2))));
        List<Trainer.Result> two = ranks(tmp.resolve("two"), null);            // resumed at the same world size
        assertSameWeights(one.finalDir(), two.get(0).finalDir());
        assertSameLosses(shared.resolve("one"), tmp.resolve("two"));
        // one metrics line per step (rank 0 only), and every save holds both shards and no single-process file
        assertEquals(4, losses(tmp.resolve("two")).size());
        Path save = tmp.resolve("two").resolve(RunDir.saveName(4));
        assertTrue(Files.isRegularFile(save.resolve(ZeroState.shardName(0, 2))));
        assertTrue(Files.isRegularFile(save.resolve(ZeroState.shardName(1, 2))));
        assertFalse(Files.exists(save.resolve(RunDir.OPTIMIZER)));
        try (var s = Files.list(tmp.resolve("two"))) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().contains(".tmp-")), "no staging folder left");
        }
    }

    @Test
    void reshardTwoToOneAndOneToTwo(@TempDir Path tmp) throws IOException {
        // 2 -> 1: two ranks stop after step 2 (saved), one process resumes
        Path a = tmp.resolve("two-then-one");
        ProsparseException stop = assertThrows(ProsparseException.class, () -> ranks(a, 2));
        assertEquals(ProsparseException.Kind.INTERRUPTED, stop.kind());
        assertEquals(2, ZeroState.savedWorld(a.resolve(RunDir.saveName(2))));
        Trainer.Result ra = single(a, null);
        assertSameWeights(one.finalDir(), ra.finalDir());
        assertSameLosses(shared.resolve("one"), a);
        // 1 -> 2: one process stops after step 2, two ranks resume
        Path b = tmp.resolve("one-then-two");
        assertThrows(ProsparseException.class, () -> single(b, 2));
        assertEquals(0, ZeroState.savedWorld(b.resolve(RunDir.saveName(2))));
        List<Trainer.Result> rb = ranks(b, null);
        assertSameWeights(one.finalDir(), rb.get(0).finalDir());
        assertSameLosses(shared.resolve("one"), b);
    }
}
