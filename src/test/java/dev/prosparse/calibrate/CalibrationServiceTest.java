package dev.prosparse.calibrate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import dev.prosparse.ProsparseException;
import dev.prosparse.train.Recipe;
import dev.prosparse.train.Stage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The probe loop with a stand-in for training (each probe writes a file into its folder and returns the power law of
 * {@link FitVerdictTest}): the probe folder is gone after Ctrl-C and after an error, nothing is written to --out then, an
 * existing --out needs --force, and --force replaces calibrate's earlier recipes only.
 */
class CalibrationServiceTest {
    static final Path CONFIG = Fixtures.repo().resolve("configs/train/prosparse-tiny.yaml");

    static CalibrationRequest request(Path out, List<Double> targets, boolean force) {
        return new CalibrationRequest("tiny-llama", null, targets, CONFIG, List.of(1.0, 2.0, 4.0, 8.0, 16.0), null, 10, 1, 8,
                1, out, force, 2, null);
    }

    /** A probe that leaves a file where a run would and reports the power law at its λ_S. */
    static double[] fakeProbe(Recipe probe, Path dir, List<Path> dirs) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("metrics.jsonl"), "{}\n");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        dirs.add(dir);
        List<Stage> st = probe.stages();
        return new double[] {FitVerdictTest.power(st.get(st.size() - 1).l1Lambda()), 100};
    }

    static final PrintStream QUIET = new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);

    @Test
    void ctrlCDuringAProbeRemovesTheProbeFolderAndWritesNothing(@TempDir Path tmp) {
        Path out = tmp.resolve("cal");
        CalibrationService s = CalibrationService.prepare(request(out, List.of(0.9), false));
        List<Path> dirs = new ArrayList<>();
        AtomicBoolean stopped = new AtomicBoolean();
        ProsparseException e = assertThrows(ProsparseException.class, () -> s.run((probe, dir, stopper) -> {
            stopper.accept(() -> stopped.set(true)); // what stops the running trainer
            double[] r = fakeProbe(probe, dir, dirs);
            if (dirs.size() == 3) {
                s.requestStop();                     // Ctrl-C in the third probe
                assertTrue(stopped.get(), "the running probe was told to stop");
                throw new ProsparseException(ProsparseException.Kind.INTERRUPTED, "probe stopped at step 4");
            }
            return r;
        }, QUIET));
        assertEquals(ProsparseException.Kind.INTERRUPTED, e.kind());
        Path work = dirs.get(0).getParent();
        assertTrue(e.getMessage().startsWith("calibrate interrupted during probe 3/5 (λ_S 4); removed its probe folder "
                + work + " (2 of 5 probes done"), e.getMessage());
        assertFalse(Files.exists(work), "the probe folder is removed");
        assertFalse(Files.exists(out), "nothing written to --out");
    }

    @Test
    void anErrorInAProbeRemovesTheProbeFolderToo(@TempDir Path tmp) {
        Path out = tmp.resolve("cal");
        CalibrationService s = CalibrationService.prepare(request(out, List.of(0.9), false));
        List<Path> dirs = new ArrayList<>();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.run((probe, dir, stopper) -> {
            double[] r = fakeProbe(probe, dir, dirs);
            if (dirs.size() == 2) {
                throw new IllegalStateException("out of memory, say");
            }
            return r;
        }, QUIET));
        assertEquals("out of memory, say", e.getMessage(), "the error itself reaches the user");
        assertFalse(Files.exists(dirs.get(0).getParent()));
        assertFalse(Files.exists(out));
    }

    @Test
    void flatProbesWriteNothingAndExitTwo(@TempDir Path tmp) {
        Path out = tmp.resolve("cal");
        CalibrationService s = CalibrationService.prepare(request(out, List.of(0.8, 0.9), false));
        List<Path> dirs = new ArrayList<>();
        ProsparseException e = assertThrows(ProsparseException.class, () -> s.run((probe, dir, stopper) -> {
            fakeProbe(probe, dir, dirs);
            return new double[] {0.60 + 0.0001 * dirs.size(), 104};
        }, QUIET));
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().startsWith("calibrate wrote no recipe: sparsity does not respond to λ"), e.getMessage());
        assertFalse(Files.exists(out));
        assertFalse(Files.exists(dirs.get(0).getParent()));
    }

    @Test
    void anExistingOutNeedsForceWhichReplacesOnlyCalibratesOwnFiles(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("cal");
        List<Path> dirs = new ArrayList<>();
        CalibrationService.ProbeRunner fake = (probe, dir, stopper) -> fakeProbe(probe, dir, dirs);
        List<Path> first = CalibrationService.prepare(request(out, List.of(0.9, 0.95), false)).run(fake, QUIET);
        assertEquals(List.of(out.resolve("calibration.md"), out.resolve("prosparse-tiny-tiny-llama-s90.yaml"),
                out.resolve("prosparse-tiny-tiny-llama-s95.yaml")), first);
        Files.writeString(out.resolve("notes.yaml"), "mine: 1\n");

        ProsparseException e = assertThrows(ProsparseException.class,
                () -> CalibrationService.prepare(request(out, List.of(0.9), false)));
        assertEquals("--out " + out + " already exists and is not empty; pass --force to replace calibrate's earlier outputs"
                + " there (calibration.md and its recipes), or choose another --out", e.getMessage());

        List<Path> second = CalibrationService.prepare(request(out, List.of(0.9), true)).run(fake, QUIET);
        assertEquals(2, second.size());
        assertFalse(Files.exists(out.resolve("prosparse-tiny-tiny-llama-s95.yaml")), "the stale recipe is gone");
        assertTrue(Files.exists(out.resolve("notes.yaml")), "a file calibrate did not write stays");
        // the written recipe ends at the λ_S of 90 % by the power law: 0.6·4.2^1.25
        Recipe r = Recipe.load(out.resolve("prosparse-tiny-tiny-llama-s90.yaml"), List.of());
        List<Stage> st = r.stages();
        assertEquals(0.6 * Math.pow(4.2, 1.25), st.get(st.size() - 1).l1Lambda(), 1e-4);
        assertEquals(0.0, st.get(0).l1Lambda(), "stage 0 stays at 0");
        // prosparse-tiny's full-length table (not the probes' 10 steps), its λ scaled by λ_S / 20
        assertEquals(List.of(360, 72, 288, 144, 288, 48), st.stream().map(Stage::steps).toList());
        assertEquals(0.5 * st.get(st.size() - 1).l1Lambda() / 20, st.get(1).l1Lambda(), 1e-5);
        assertTrue(Files.readString(out.resolve("prosparse-tiny-tiny-llama-s90.yaml")).startsWith("# prosparse train --config "
                + out.resolve("prosparse-tiny-tiny-llama-s90.yaml") + "\n# Calibrated by prosparse calibrate for 90.0% sparsity"));
    }

    @Test
    void aTargetOutOfReachStillWritesTheOthersAndExitsTwo(@TempDir Path tmp) {
        Path out = tmp.resolve("cal");
        List<Path> dirs = new ArrayList<>();
        ProsparseException e = assertThrows(ProsparseException.class, () -> CalibrationService.prepare(
                request(out, List.of(0.9, 0.999999), false)).run((probe, dir, stopper) -> fakeProbe(probe, dir, dirs), QUIET));
        assertEquals(2, e.exitCode());
        assertTrue(e.getMessage().startsWith("calibrate wrote 1 of 2 recipes to " + out + "; none for 99.9999%: the fit puts"),
                e.getMessage());
        assertTrue(Files.exists(out.resolve("prosparse-tiny-tiny-llama-s90.yaml")));
        assertFalse(Files.exists(out.resolve("prosparse-tiny-tiny-llama-s99.9999.yaml")));
    }
}
