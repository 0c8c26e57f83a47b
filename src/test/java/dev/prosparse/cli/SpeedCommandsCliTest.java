package dev.prosparse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input to bench ffn, predictors train and export gguf: exit 2, one line naming the flag, nothing written. */
class SpeedCommandsCliTest {
    static final String TINY = Fixtures.model("tiny-llama").toString();

    @Test
    void benchFfnRejectsBadShapeAndSparsity() {
        Cli c = Cli.run("bench", "ffn", "--shape", "100x7");
        assertEquals(2, c.exitCode());
        assertTrue(c.err().contains("--shape 100x7"), c.err());
        c = Cli.run("bench", "ffn", "--sparsity", "1.5");
        assertEquals(2, c.exitCode());
        assertTrue(c.err().contains("--sparsity"), c.err());
        c = Cli.run("bench", "ffn", "--rank", "100");
        assertEquals(2, c.exitCode());
        assertTrue(c.err().contains("--rank"), c.err());
    }

    @Test
    void predictorsRefuseASiluCheckpoint(@TempDir Path dir) {
        Cli c = Cli.run("predictors", "train", "--model", TINY, "--out", dir.resolve("p").toString());
        assertEquals(2, c.exitCode());
        assertTrue(c.err().contains("silu"), c.err());
        assertFalse(Files.exists(dir.resolve("p")));
        c = Cli.run("predictors", "train", "--model", TINY, "--recall", "1.2");
        assertEquals(2, c.exitCode());
        assertTrue(c.err().contains("--recall"), c.err());
    }

    @Test
    void exportRefusesExistingOutputAndMissingPredictors(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("x.gguf");
        Files.writeString(out, "keep");
        Cli c = Cli.run("export", "gguf", "--model", TINY, "--out", out.toString());
        assertEquals(2, c.exitCode());
        assertTrue(c.err().contains("--force"), c.err());
        assertEquals("keep", Files.readString(out));
        c = Cli.run("export", "gguf", "--model", TINY, "--predictors", dir.toString(), "--out", dir.resolve("y.gguf").toString());
        assertEquals(2, c.exitCode());
        assertFalse(Files.exists(dir.resolve("y.gguf")));
    }
}
