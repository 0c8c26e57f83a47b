package dev.prosparse.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ctrl-C during {@code prosparse calibrate} (SIGTERM runs the same shutdown hooks as SIGINT) in a child JVM: once the
 * first probe has finished, the signal stops the one running; the probe folder under the Java temporary folder is removed,
 * the run says where it was, and --out is not created.
 */
class CalibrateInterruptTest {

    @Test
    void signalDuringAProbeLeavesNoProbeFolder(@TempDir Path tmp) throws IOException {
        Path jtmp = Files.createDirectories(tmp.resolve("java-tmp"));
        Path out = tmp.resolve("cal");
        try (ChildJvm c = ChildJvm.start(tmp.resolve("child.log"), List.of("-Djava.io.tmpdir=" + jtmp),
                List.of("calibrate", "--model", "tiny-llama", "--targets", "0.62", "--config", "configs/train/fixed-l1-tiny.yaml",
                        "--data", "embedded:valid", "--probe-steps", "20", "--probe-batch", "1", "--probe-seq-len", "16",
                        "--probe-windows", "2", "--threads", "2", "--out", out.toString()))) {
            assertNotNull(c.await(Pattern.compile("^probe λ_S=1(\\.0)?: sparsity"), Duration.ofMinutes(5)),
                    "the first probe finishes: " + c.tail());
            try (Stream<Path> s = Files.list(jtmp)) {
                assertEquals(1, s.filter(p -> p.getFileName().toString().startsWith("prosparse-calibrate-")).count(),
                        "the probes work in one folder there");
            }
            // SIGTERM through the process handle: Process.destroy() would also close our ends of the child's pipes, and the
            // lines it prints while it stops would be lost
            assertTrue(c.process.toHandle().destroy());
            assertEquals(143, c.waitFor(Duration.ofMinutes(3)), c.tail());
            assertTrue(c.find(Pattern.compile("calibrate interrupted during probe [2-5]/5 \\(λ_S [0-9.]+\\); removed its probe folder "
                    + Pattern.quote(jtmp.toString()) + "/prosparse-calibrate-")) != null, c.tail());
        }
        try (Stream<Path> s = Files.list(jtmp)) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().startsWith("prosparse-calibrate-")).toList());
        }
        assertFalse(Files.exists(out));
    }
}
