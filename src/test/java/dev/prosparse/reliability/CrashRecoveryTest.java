package dev.prosparse.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import dev.prosparse.ProsparseException;
import dev.prosparse.cli.Main;
import dev.prosparse.train.Recipe;
import dev.prosparse.train.RunDir;
import dev.prosparse.train.Trainer;
import dev.prosparse.util.FaultInjection;
import dev.prosparse.util.Torch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * In-process fault tests of training and conversion: a run stopped at random steps and resumed equals an
 * uninterrupted one bit for bit (weights of every common save, final weights, metrics.jsonl); a disk that
 * fills up in the middle of a save gives a one-line I/O error, leaves no partial folder, and the run resumes
 * to the same result; a conversion onto a full disk leaves neither the output nor its staging folder.
 * The random choices come from {@code prosparse.crash.seed} (printed) so that a failure replays.
 */
class CrashRecoveryTest {

    static final long SEED = Long.getLong("prosparse.crash.seed", System.nanoTime());
    static final int STEPS_PER_STAGE = 5;

    @TempDir
    static Path shared;
    static Path reference;

    /** 10 steps, eval every 4, a periodic save every 3 (stage ends 5 and 10 are saved too). */
    static Recipe recipe(Path outputDir) {
        List<String> o = new ArrayList<>(RunFolders.recipe(outputDir, STEPS_PER_STAGE, 1000));
        o.addAll(List.of("save.every=3", "eval.every=4"));
        return Recipe.load(null, o);
    }

    static Trainer trainer(Recipe r, Path runDir) {
        RunDir run = Files.isDirectory(runDir) ? new RunDir(runDir) : RunDir.create(runDir, r.toYaml());
        return new Trainer(r, run, Path.of(r.model()), 2);
    }

    @BeforeAll
    static void uninterrupted() {
        Torch.start(2);
        System.out.println("crash-recovery seed " + SEED);
        reference = shared.resolve("ref/run");
        trainer(recipe(reference.getParent()), reference).run();
    }

    @Test
    void resumeAtRandomStepsIsBitExact(@TempDir Path tmp) throws IOException {
        SplittableRandom rnd = new SplittableRandom(SEED);
        int total = 2 * STEPS_PER_STAGE;
        int first = 1 + rnd.nextInt(total - 2);             // 1 .. total-2
        int second = first + 1 + rnd.nextInt(total - first - 1); // first+1 .. total-1
        Path run = tmp.resolve("run");
        Recipe r = recipe(tmp);
        for (int stop : new int[] {first, second}) {
            Trainer t = trainer(r, run);
            t.requestStopAfter(stop);
            ProsparseException e = assertThrows(ProsparseException.class, t::run);
            assertEquals(ProsparseException.Kind.INTERRUPTED, e.kind(), e.getMessage());
            assertEquals(stop, new RunDir(run).newestSave().orElseThrow().step());
        }
        trainer(Recipe.load(run.resolve(RunDir.RECIPE), List.of()), run).run();
        System.out.printf(Locale.ROOT, "resume-determinism: stopped at steps %d and %d of %d, resumed twice%n", first, second, total);
        assertSameAsReference(run);
    }

    @Test
    void diskFullDuringASaveLeavesNoPartialFolderAndTheRunResumes(@TempDir Path tmp) throws IOException {
        SplittableRandom rnd = new SplittableRandom(SEED + 1);
        int[] saved = {5, 6, 9}; // each has an earlier save (3 is the first; see resumeBeforeTheFirstSave...)
        int step = saved[rnd.nextInt(saved.length)];
        String file = rnd.nextBoolean() ? "model.safetensors" : RunDir.OPTIMIZER;
        long budget = rnd.nextInt(3_000_000);
        String folder = "." + RunDir.saveName(step) + ".tmp-";
        Path run = tmp.resolve("run");
        ProsparseException e;
        try (FaultInjection disk = FaultInjection.diskFullAfter(budget, p -> p.getFileName().toString().equals(file)
                && p.getParent().getFileName().toString().startsWith(folder))) {
            e = assertThrows(ProsparseException.class, () -> trainer(recipe(tmp), run).run());
            assertEquals(1, disk.hits());
        }
        System.out.printf(Locale.ROOT, "disk-full: %s of step %d failed after %d bytes: %s%n", file, step, budget, e.getMessage());
        assertEquals(ProsparseException.Kind.IO, e.kind(), e.getMessage());
        assertTrue(e.getMessage().contains("no space left on device"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        RunFolders.Contents c = RunFolders.inspect(run);
        assertEquals(List.of(), c.temporaries(), "temporary folders left behind");
        assertEquals(List.of(), c.withoutState(), "partial save folders");
        assertFalse(Files.exists(run.resolve(RunDir.saveName(step))), "the failed save must not appear");
        assertTrue(c.newest() < step);
        c.saves().forEach(RunFolders::assertLoads);

        trainer(Recipe.load(run.resolve(RunDir.RECIPE), List.of()), run).run();
        assertSameAsReference(run);
    }

    /**
     * A run that fails before its first complete save and is resumed starts over, and its metrics.jsonl must
     * not keep the lines of the failed attempt (the trainer empties it when there is no save to resume from).
     */
    @Test
    void resumeBeforeTheFirstSaveKeepsMetricsExact(@TempDir Path tmp) throws IOException {
        Path run = tmp.resolve("run");
        try (FaultInjection disk = FaultInjection.diskFullAfter(0, p -> p.getFileName().toString().equals("model.safetensors")
                && p.getParent().getFileName().toString().startsWith("." + RunDir.saveName(3) + ".tmp-"))) {
            assertThrows(ProsparseException.class, () -> trainer(recipe(tmp), run).run());
        }
        assertTrue(new RunDir(run).newestSave().isEmpty());
        trainer(Recipe.load(run.resolve(RunDir.RECIPE), List.of()), run).run();
        assertSameAsReference(run);
    }

    @Test
    void convertOntoAFullDiskLeavesNothing(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("out");
        long budget = new SplittableRandom(SEED + 2).nextInt(1_000_000);
        int rc;
        try (FaultInjection disk = FaultInjection.diskFullAfter(budget, p -> p.getFileName().toString().endsWith(".safetensors"))) {
            rc = Main.run("convert", "--model", Fixtures.model("tiny-llama").toString(), "--act", "relu", "--dtype", "f32",
                    "--out", out.toString());
            assertTrue(disk.hits() >= 1);
        }
        assertEquals(ProsparseException.Kind.IO.exitCode, rc, "exit code of a disk-full conversion");
        assertFalse(Files.exists(out), "no partial --out folder");
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(List.of(), s.map(p -> p.getFileName().toString()).toList(), "no staging folder left");
        }
    }

    /** Final weights, every save both runs made, and metrics.jsonl equal the uninterrupted run's. */
    static void assertSameAsReference(Path run) throws IOException {
        assertArrayEquals(Files.readAllBytes(reference.resolve("final/model.safetensors")),
                Files.readAllBytes(run.resolve("final/model.safetensors")), "final weights bit for bit");
        for (RunDir.Save s : new RunDir(reference).saves()) {
            Path mine = run.resolve(s.dir().getFileName());
            if (Files.isDirectory(mine)) {
                assertArrayEquals(Files.readAllBytes(s.dir().resolve("model.safetensors")),
                        Files.readAllBytes(mine.resolve("model.safetensors")), "weights of " + mine.getFileName());
                assertArrayEquals(Files.readAllBytes(s.dir().resolve(RunDir.OPTIMIZER)),
                        Files.readAllBytes(mine.resolve(RunDir.OPTIMIZER)), "optimizer state of " + mine.getFileName());
            }
        }
        assertEquals(RunFolders.metrics(reference), RunFolders.metrics(run), "metrics.jsonl");
    }
}
