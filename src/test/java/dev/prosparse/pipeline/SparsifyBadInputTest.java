package dev.prosparse.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import dev.prosparse.cli.Cli;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** sparsify refuses what it cannot do before it creates anything: one line each, exit 2. */
class SparsifyBadInputTest {
    static final String TINY = Fixtures.model("tiny-llama").toString();

    static void refused(Cli c, String mustSay) {
        assertEquals(2, c.exitCode(), c.err());
        assertEquals(1, c.errorLines(), c.err());
        assertTrue(c.err().contains(mustSay), c.err());
    }

    @Test
    void aDenseGgufExportATargetOutOfRangeAndAForeignFolderAreRefused(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("o");
        refused(Cli.run("sparsify", "--model", TINY, "--target-sparsity", "0.9", "--out", out.toString(), "--export", "gguf"),
                "--export gguf: a dense llama.cpp GGUF of a ReLU model computes SiLU");
        refused(Cli.run("sparsify", "--model", TINY, "--target-sparsity", "1.5", "--out", out.toString()),
                "--target-sparsity 1.5: must be in (0, 1)");
        assertFalse(Files.exists(out), "nothing created");
        Path other = dir.resolve("other");
        Files.createDirectories(other);
        Files.writeString(other.resolve("notes.txt"), "mine");
        refused(Cli.run("sparsify", "--model", TINY, "--target-sparsity", "0.9", "--out", other.toString()),
                "holds no sparsify.json; choose another --out, or pass --force");
        assertEquals("mine", Files.readString(other.resolve("notes.txt")));
        refused(Cli.run("sparsify", "--model", Fixtures.model("tiny-minicpm").toString(), "--target-sparsity", "0.9",
                "--out", out.toString()), "pass --export none");
        assertFalse(Files.exists(out), "nothing created");
    }
}
