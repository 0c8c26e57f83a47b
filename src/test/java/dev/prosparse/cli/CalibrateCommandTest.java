package dev.prosparse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import dev.prosparse.calibrate.CalibrationService;
import dev.prosparse.calibrate.Calibrator;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code prosparse calibrate}: bad input in one line before any probe; a miniature end-to-end run. */
class CalibrateCommandTest {

    @Test
    void badInputIsRefusedBeforeAnyProbe(@TempDir Path tmp) {
        Path o = tmp.resolve("o");
        refused(o, "--targets 1.2: each target must be in (0, 1)", "--targets", "0.9,1.2");
        refused(o, "3 probe λ_S values with 1 held out leave 2 for the fit, which needs at least 3", "--targets", "0.9",
                "--lambdas", "1,2,4", "--held-out", "1");
        refused(o, "--held-out 9: must index the 5 probe λ_S values [1.0, 2.5, 5.0, 10.0, 20.0] (0..4)", "--targets", "0.9",
                "--held-out", "9");
        refused(o, "--lambdas 0.0: each probe λ_S must be a positive number", "--targets", "0.9", "--lambdas", "0,1,2,4");
        refused(o, "--probe-steps must be ≥ 10", "--targets", "0.9", "--probe-steps", "5");
        refused(o, "--device tpu", "--targets", "0.9", "--device", "tpu");
        refused(o, "--config configs/train/tiny-90.yaml steers λ with l1.target_sparsity, so it has no λ to calibrate",
                "--targets", "0.9", "--config", "configs/train/tiny-90.yaml");
        refused(o, "--config configs/train/vanilla-relu-tiny.yaml: the last stage's l1_lambda is 0; calibrate scales the stage"
                + " table", "--targets", "0.9", "--config", "configs/train/vanilla-relu-tiny.yaml");
        assertFalse(Files.exists(o));
    }

    @Test
    void anExistingOutIsRefusedBeforeAnyProbe(@TempDir Path tmp) throws IOException {
        Path o = Files.createDirectories(tmp.resolve("o"));
        Files.writeString(o.resolve("calibration.md"), "earlier\n");
        refused(o, "--out " + o + " already exists and is not empty; pass --force to replace calibrate's earlier outputs"
                + " there (calibration.md and its recipes), or choose another --out", "--targets", "0.9");
        assertEquals("earlier\n", Files.readString(o.resolve("calibration.md")));
    }

    private static void refused(Path out, String message, String... args) {
        List<String> a = new java.util.ArrayList<>(List.of("calibrate", "--model", "tiny-llama", "--out", out.toString()));
        a.addAll(List.of(args));
        Cli r = Cli.run(a.toArray(String[]::new));
        assertEquals(2, r.exitCode(), r.err());
        assertEquals(1, r.errorLines(), r.err());
        assertTrue(r.err().contains(message), r.err());
    }

    /** The defaults come from the recipe; each flag overrides its own. Expected values read off prosparse-tiny.yaml. */
    @Test
    void probeDefaultsComeFromTheRecipeAndFlagsOverrideThem() {
        Path config = Fixtures.repo().resolve("configs/train/prosparse-tiny.yaml");
        Calibrator.Plan p = plan("--config", config.toString());
        assertEquals(List.of(2.0, 5.0, 10.0, 20.0, 40.0), p.lambdas());
        assertEquals(List.of(2), p.heldOut());
        assertEquals(600, p.steps());
        assertEquals(8, p.batchSize());
        assertEquals(1, p.gradAccum());
        assertEquals(256, p.seqLen());
        // 5 × 600 × 8 × 256 = 6,144,000 tokens; one run 1,200 × 8 × 256 = 2,457,600; ratio 2.5
        assertEquals("Probe budget: 5 probes × 600 steps × 8×256 tokens = 6,144,000 tokens, 2.50× one full run of the recipe"
                + " (1,200 steps × 8×256 = 2,457,600 tokens); 1 held out to check the fit\nProbe λ_S: 2, 5, 10, 20, 40 (the"
                + " recipe's λ_S is 20)\n", service("--config", config.toString()).budget().replace("\r", ""));

        p = plan("--config", config.toString(), "--lambdas", "1,2,4,8,16,32,64", "--probe-steps", "240", "--probe-batch", "4",
                "--probe-seq-len", "128");
        assertEquals(List.of(3), p.heldOut(), "the middle of 7");
        assertEquals(List.of(240, 4, 1, 128), List.of(p.steps(), p.batchSize(), p.gradAccum(), p.seqLen()));
        p = plan("--config", config.toString(), "--held-out", "1,3,3");
        assertEquals(List.of(1, 3), p.heldOut(), "an index given twice holds one probe out");

        // a recipe with gradient accumulation keeps it unless --probe-batch is given: 16,500 / 2 steps of 8 × 64 × 4096
        Path big = Fixtures.repo().resolve("configs/train/llama2-7b.yaml");
        p = plan("--config", big.toString());
        assertEquals(List.of(8250, 8, 64, 4096), List.of(p.steps(), p.batchSize(), p.gradAccum(), p.seqLen()));
        p = plan("--config", big.toString(), "--probe-batch", "2");
        assertEquals(List.of(2, 1), List.of(p.batchSize(), p.gradAccum()));
    }

    private static Calibrator.Plan plan(String... args) {
        return service(args).plan();
    }

    private static CalibrationService service(String... args) {
        List<String> a = new java.util.ArrayList<>(List.of("--model", "tiny-llama", "--targets", "0.9"));
        a.addAll(List.of(args));
        CommandLine cl = new CommandLine(new CalibrateCommand());
        cl.parseArgs(a.toArray(String[]::new));
        CalibrateCommand c = cl.getCommand();
        return CalibrationService.prepare(c.request());
    }

    /**
     * Five 12-step probes of 1 × 16 tokens on fixed-l1-tiny's two-stage table at the default λ grid (its λ_S 10 × 0.1,
     * 0.25, 0.5, 1, 2; the middle one, 5, held out): far too short for sparsity to respond to λ (they measure within a
     * point of each other), which is the case calibrate must refuse rather than fit. Every part of the pipeline runs;
     * nothing is written, and the probe folder is gone.
     */
    @Test
    void miniatureCalibrationWithProbesTooShortWritesNoRecipe(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("cal");
        List<Path> before = probeFolders();
        Cli r = Cli.run("calibrate", "--model", "tiny-llama", "--targets", "0.62", "--config",
                "configs/train/fixed-l1-tiny.yaml", "--data", "embedded:valid", "--probe-steps", "12", "--probe-batch", "1", "--probe-seq-len", "16", "--probe-windows", "2",
                "--threads", "2", "--out", out.toString());
        assertEquals(2, r.exitCode(), r.err());
        // 5 × 12 × 16 = 960 tokens of one run's 1,200 × 8 × 256 = 2,457,600: 0.039 %
        assertTrue(r.out().startsWith("Probe budget: 5 probes × 12 steps × 1×16 tokens = 960 tokens, 0.039% of one full run"),
                r.out());
        assertTrue(r.out().contains("| 5.0 | held out |"), r.out());
        assertTrue(r.out().contains("| 2.5 | fit |"), r.out());
        assertTrue(r.err().contains("less than half of one full run"), "short probes are warned about: " + r.err());
        assertTrue(r.out().contains("No recipe: sparsity does not respond to λ"), r.out());
        assertEquals(1, r.errorLines(), r.err());
        assertTrue(r.err().contains("error: calibrate wrote no recipe: sparsity does not respond to λ: the 5 probes measured"),
                r.err());
        assertTrue(r.err().contains("give longer probes (--probe-steps, now 12;"), r.err());
        assertFalse(Files.exists(out));
        assertEquals(before, probeFolders(), "no probe folder left in " + System.getProperty("java.io.tmpdir"));
    }

    static List<Path> probeFolders() throws IOException {
        try (var s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(p -> p.getFileName().toString().startsWith("prosparse-calibrate-")).sorted().toList();
        }
    }
}
