package dev.prosparse.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.config.Activation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash safety of {@code prosparse convert}: a child JVM converts small-llama (to BF16 shards of 2 MB, so that
 * the write takes a while and produces an index) and is killed with SIGKILL at a random moment of its write
 * window. Afterwards {@code --out} is either absent or complete and identical to an undisturbed conversion;
 * a staging folder may be left (SIGKILL runs no cleanup) but never blocks the next conversion.
 * Trials: {@code prosparse.convertKill.trials} (default 4; scripts/reliability-long.sh runs 20).
 */
class ConvertKillTest {

    static final int TRIALS = Integer.getInteger("prosparse.convertKill.trials", 4);
    static final long SEED = Long.getLong("prosparse.kill.seed", System.nanoTime());
    private static final Pattern CONVERTING = Pattern.compile("Converting ");
    private static final Pattern WROTE = Pattern.compile("wrote ");

    @Test
    void sigkillDuringConversionLeavesNoPartialOutput(@TempDir Path tmp) throws IOException {
        SplittableRandom rnd = new SplittableRandom(SEED);
        Path reference = tmp.resolve("reference");
        ChildJvm ref = ChildJvm.start(tmp.resolve("logs/reference.log"), List.of(), args(reference));
        ChildJvm.Line start = ref.await(CONVERTING, Duration.ofMinutes(3));
        ChildJvm.Line end = ref.await(WROTE, Duration.ofMinutes(3));
        assertEquals(0, ref.waitFor(Duration.ofMinutes(1)), ref.tail());
        assertNotNull(start, ref.tail());
        assertNotNull(end, ref.tail());
        double window = (end.nanos() - start.nanos()) / 1e9;

        int killed = 0;
        int absent = 0;
        int complete = 0;
        int staging = 0;
        for (int trial = 0; trial < TRIALS; trial++) {
            Path out = tmp.resolve("out-" + trial);
            try (ChildJvm child = ChildJvm.start(tmp.resolve("logs/trial-" + trial + ".log"), List.of(), args(out))) {
                ChildJvm.Line converting = child.await(CONVERTING, Duration.ofMinutes(3));
                assertNotNull(converting, child.tail());
                long killAt = converting.nanos() + (long) (rnd.nextDouble() * window * 1.3e9);
                long wait = killAt - System.nanoTime();
                if (wait > 0) {
                    sleep(wait);
                }
                if (child.alive()) {
                    int code = child.kill9();
                    if (code == 137) {
                        killed++;
                    } else {
                        assertEquals(0, code, "finished just before the kill: " + child.tail());
                    }
                } else {
                    assertEquals(0, child.waitFor(Duration.ofMinutes(1)), child.tail());
                }
            }
            if (Files.exists(out)) {
                assertSameOutput(reference, out);
                complete++;
            } else {
                absent++;
            }
            staging += countStaging(tmp, "out-" + trial);
        }
        // stale staging folders do not block a conversion to the same place
        Path again = tmp.resolve("out-0");
        if (!Files.exists(again)) {
            ChildJvm c = ChildJvm.start(tmp.resolve("logs/again.log"), List.of(), args(again));
            assertEquals(0, c.waitFor(Duration.ofMinutes(3)), c.tail());
            assertSameOutput(reference, again);
        }
        System.out.printf(Locale.ROOT, "convert-kill: %d trials, %d SIGKILLs, write window %.2f s; afterwards --out absent %d,"
                + " complete %d, partial 0; staging folders left %d%n", TRIALS, killed, window, absent, complete, staging);
        assertTrue(killed >= TRIALS / 2, "most trials should end in a kill");
    }

    private static List<String> args(Path out) {
        return List.of("convert", "--model", Fixtures.model("small-llama").toString(), "--act", "relu",
                "--dtype", "bf16", "--max-shard-size", "2MB", "--out", out.toString());
    }

    /** Every file but the sidecar (it holds the date) is byte-identical to the reference; the result loads. */
    static void assertSameOutput(Path reference, Path out) throws IOException {
        List<String> want = names(reference);
        assertEquals(want, names(out), "files of " + out);
        for (String f : want) {
            if (!f.equals("prosparse.json")) {
                assertTrue(Arrays.equals(Files.readAllBytes(reference.resolve(f)), Files.readAllBytes(out.resolve(f))),
                        f + " differs in " + out);
            }
        }
        assertEquals(Activation.RELU, ModelConfig.read(out).hiddenAct());
        try (var files = dev.prosparse.io.CheckpointFiles.open(out)) {
            for (String n : files.names()) {
                files.readFloat32(n);
            }
        }
    }

    private static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    private static int countStaging(Path dir, String name) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return (int) s.filter(p -> p.getFileName().toString().startsWith("." + name + ".tmp-")).count();
        }
    }

    private static void sleep(long nanos) {
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
