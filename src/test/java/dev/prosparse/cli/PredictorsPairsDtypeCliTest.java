package dev.prosparse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** predictors train --pairs-dtype: an unknown dtype is refused with exit 2 naming the flag and the valid values. */
class PredictorsPairsDtypeCliTest {

    @Test
    void anUnknownPairsDtypeIsRefusedBeforeAnyWork(@TempDir Path dir) {
        Cli c = Cli.run("predictors", "train", "--model", SpeedCommandsCliTest.TINY, "--pairs-dtype", "bf16",
                "--out", dir.resolve("p").toString());
        assertEquals(2, c.exitCode());
        assertTrue(c.err().contains("--pairs-dtype bf16") && c.err().contains("float16"), c.err());
        assertFalse(Files.exists(dir.resolve("p")));
    }
}
