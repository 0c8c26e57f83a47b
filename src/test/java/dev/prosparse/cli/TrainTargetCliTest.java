package dev.prosparse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train --target-sparsity}: bad values are refused in one line before any run folder exists. */
class TrainTargetCliTest {

    @Test
    void targetOutsideZeroOneIsAUsageError(@TempDir Path tmp) {
        for (String t : new String[] {"1.5", "0", "90"}) {
            Cli r = Cli.run("train", "--target-sparsity", t, "--set", "output_dir=" + tmp, "--run-name", "x");
            assertEquals(2, r.exitCode(), r.err());
            assertEquals(1, r.errorLines(), r.err());
            assertTrue(r.err().contains("--target-sparsity " + Double.parseDouble(t) + ": must be in (0, 1)"), r.err());
            assertFalse(Files.exists(tmp.resolve("x")), "nothing created");
        }
    }

    @Test
    void targetWithAContradictingTable(@TempDir Path tmp) {
        Cli r = Cli.run("train", "--config", "configs/train/fixed-l1-tiny.yaml", "--target-sparsity", "0.9",
                "--set", "stages.1.l1_lambda=2", "--set", "output_dir=" + tmp, "--run-name", "x");
        assertEquals(2, r.exitCode(), r.err());
        assertEquals(1, r.errorLines(), r.err());
        assertTrue(r.err().contains("contradicts 'stages'"), r.err());
        assertFalse(Files.exists(tmp.resolve("x")), "nothing created");
    }

    @Test
    void resumeTakesNoTarget(@TempDir Path tmp) {
        Cli r = Cli.run("train", "--resume", tmp.toString(), "--target-sparsity", "0.9");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().contains("drop --config, --set, --stages and --target-sparsity"), r.err());
    }
}
