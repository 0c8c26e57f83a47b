package dev.prosparse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.train.Recipe;
import dev.prosparse.train.Stage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code prosparse calibrate}: bad input in one line before any probe; a miniature end-to-end run. */
class CalibrateCommandTest {

    @Test
    void badInputIsRefusedBeforeAnyProbe(@TempDir Path tmp) {
        Cli r = Cli.run("calibrate", "--model", "tiny-llama", "--targets", "0.9,1.2", "--out", tmp.resolve("o").toString());
        assertEquals(2, r.exitCode(), r.err());
        assertEquals(1, r.errorLines(), r.err());
        assertTrue(r.err().contains("--targets 1.2: each target must be in (0, 1)"), r.err());
        r = Cli.run("calibrate", "--model", "tiny-llama", "--targets", "0.9", "--lambdas", "1,2,4", "--held-out", "1");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("at least 3 more than --held-out"), r.err());
        r = Cli.run("calibrate", "--model", "tiny-llama", "--targets", "0.9", "--held-out", "9");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("--held-out 9: must index --lambdas"), r.err());
        assertFalse(Files.exists(tmp.resolve("o")));
    }

    /**
     * Four 12-step probes of 1 × 16 tokens on fixed-l1-tiny's two-stage table: too small to mean anything, but every
     * part of the pipeline runs.
     */
    @Test
    void miniatureCalibrationWritesARecipeWithTheFittedLambda(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("cal");
        Cli r = Cli.run("calibrate", "--model", "tiny-llama", "--targets", "0.62", "--config",
                "configs/train/fixed-l1-tiny.yaml", "--data", "embedded:valid", "--lambdas", "1,10,100,1000",
                "--held-out", "2", "--probe-steps", "12", "--probe-batch", "1", "--probe-seq-len", "16", "--probe-windows", "2",
                "--threads", "2", "--out", out.toString());
        assertEquals(0, r.exitCode(), r.err());
        assertTrue(r.out().startsWith("Probe budget: 4 probes × 12 steps × 1×16 tokens = 768 tokens"), r.out());
        assertTrue(r.out().contains("| 100.0 | held out |"), r.out());
        assertTrue(r.out().contains("- paper law: sparsity% = 100 − exp("), r.out());
        assertTrue(Files.isRegularFile(out.resolve("calibration.md")));
        Path f = out.resolve("fixed-l1-tiny-tiny-llama-s62.yaml");
        Matcher m = Pattern.compile("- 62\\.0%: λ_S = ([0-9.]+)").matcher(r.out());
        if (m.find()) {
            Recipe rec = Recipe.load(f, List.of());
            List<Stage> st = rec.stages();
            double lambdaS = Double.parseDouble(m.group(1));
            assertEquals(lambdaS, st.get(st.size() - 1).l1Lambda(), 1e-3 * lambdaS, "the written recipe ends at λ_S");
            assertEquals(0.0, st.get(0).l1Lambda(), "stage 0 stays at 0");
            assertEquals(List.of(360, 840), st.stream().map(Stage::steps).toList(), "full-length table");
            assertTrue(Files.readString(f).startsWith("# prosparse train --config " + f), "opens with its command");
        } else {
            assertTrue(r.out().contains("- 62.0%: λ_S = none"), r.out());
            assertFalse(Files.exists(f));
        }
    }
}
