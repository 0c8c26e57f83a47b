package dev.prosparse.dist;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.ProsparseException;
import dev.prosparse.TorchTestBase;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The c10d glue cannot be built in CI (no libtorch 2.7.1 headers: docs/distributed.md), so this checks what happens
 * without it: a missing library and a file that is not a glue for this libtorch are each one error naming the script.
 */
class C10dGlueTest extends TorchTestBase {
    @AfterEach
    void clear() {
        System.clearProperty("prosparse.c10d.glue");
    }

    @Test
    void missingGlueNamesTheScript(@TempDir Path tmp) {
        Path p = tmp.resolve("libprosparse_c10d.so");
        System.setProperty("prosparse.c10d.glue", p.toString());
        ProsparseException e = assertThrows(ProsparseException.class, C10dGlue::load);
        assertTrue(e.getMessage().contains(p + " does not exist") && e.getMessage().contains("scripts/build-c10d-glue.sh"),
                e.getMessage());
    }

    @Test
    void aLibraryThatDoesNotLoadNamesTheScript(@TempDir Path tmp) throws Exception {
        Path p = tmp.resolve("libprosparse_c10d.so");
        Files.writeString(p, "not an ELF shared object");
        System.setProperty("prosparse.c10d.glue", p.toString());
        ProsparseException e = assertThrows(ProsparseException.class, C10dGlue::load);
        assertTrue(e.getMessage().contains("does not load into this libtorch") && e.getMessage().contains("build-c10d-glue.sh"),
                e.getMessage());
    }

    @Test
    void releasesCompareWithoutTheLocalTag() {
        assertTrue(C10dGlue.sameRelease("2.11.0", "2.11.0+cu130"));
        assertFalse(C10dGlue.sameRelease("2.7.1", "2.11.0"));
    }
}
