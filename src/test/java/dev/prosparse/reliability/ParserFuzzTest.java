package dev.prosparse.reliability;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.prosparse.Fixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Coverage-guided fuzzing of the safetensors reader, the index reader and the config.json reader (Jazzer).
 *
 * <p>In a plain {@code mvn test} each method replays its corpus, {@code src/test/resources/fuzz/<method>/}:
 * the seeds (fixture files, hand-built edge cases) and every crashing input found so far. With
 * {@code JAZZER_FUZZ=1} the one selected method fuzzes for its budget; {@code scripts/fuzz-ci.sh} does that
 * for each target and prints how many inputs ran. The oracle is {@link FuzzTargets}: load, or fail with a
 * one-line {@code ProsparseException}. A hang is a finding too: replays run each input under a 10 s limit
 * ({@link FuzzTargets#withTimeout}), and fuzzing passes libFuzzer {@code -timeout=10} (a JUnit {@code @Timeout}
 * would cut the whole fuzzing session short).
 */
class ParserFuzzTest {

    @MethodSource("safetensorsSeeds")
    @FuzzTest(maxDuration = "20s")
    void safetensors(byte[] data) {
        FuzzTargets.withTimeout(() -> FuzzTargets.safetensors(data));
    }

    @MethodSource("safetensorsStructuredSeeds")
    @FuzzTest(maxDuration = "20s")
    void safetensorsStructured(byte[] data) {
        FuzzTargets.withTimeout(() -> FuzzTargets.safetensorsStructured(data));
    }

    @MethodSource("indexSeeds")
    @FuzzTest(maxDuration = "20s")
    void index(byte[] data) {
        FuzzTargets.withTimeout(() -> FuzzTargets.index(data));
    }

    @MethodSource("configSeeds")
    @FuzzTest(maxDuration = "20s")
    void config(byte[] data) {
        FuzzTargets.withTimeout(() -> FuzzTargets.config(data));
    }

    static Stream<Arguments> safetensorsSeeds() {
        return corpus("safetensors");
    }

    static Stream<Arguments> safetensorsStructuredSeeds() {
        return corpus("safetensorsStructured");
    }

    static Stream<Arguments> indexSeeds() {
        return corpus("index");
    }

    static Stream<Arguments> configSeeds() {
        return corpus("config");
    }

    /** Test methods (= target names) that started in this class, and each target's count before the class ran. */
    private static final Set<String> STARTED = new TreeSet<>();
    private static final Map<String, Long> BEFORE = new TreeMap<>();

    @BeforeAll
    static void snapshot() {
        synchronized (FuzzTargets.EXECUTED) {
            FuzzTargets.EXECUTED.forEach((target, tally) -> BEFORE.put(target, tally.count()));
        }
    }

    @BeforeEach
    void started(TestInfo test) {
        synchronized (STARTED) {
            STARTED.add(test.getTestMethod().orElseThrow().getName());
        }
    }

    /**
     * Writes how many inputs each target ran (and their digest) for scripts/fuzz-ci.sh, then checks that every
     * target that started really ran: when replaying, at least one input per corpus file (a corpus that
     * silently stops being read, or a method that calls another target, fails here); when fuzzing, at least
     * one input (the script checks its floor).
     */
    @AfterAll
    static void report() throws IOException {
        Map<String, Long> ran = new TreeMap<>();
        List<String> lines = new ArrayList<>();
        synchronized (FuzzTargets.EXECUTED) {
            FuzzTargets.EXECUTED.forEach((target, tally) -> {
                ran.put(target, tally.count() - BEFORE.getOrDefault(target, 0L));
                lines.add(target + " " + ran.get(target) + " " + tally.digest());
            });
        }
        lines.forEach(l -> System.out.println("fuzz-executed " + l));
        String out = System.getProperty("prosparse.fuzz.stats");
        if (out != null) {
            Files.createDirectories(Path.of(out).toAbsolutePath().getParent());
            Files.write(Path.of(out), lines);
        }
        synchronized (STARTED) {
            assertFalse(STARTED.isEmpty(), "no fuzz target started");
            for (String target : STARTED) {
                long n = ran.getOrDefault(target, 0L);
                long floor = FuzzTargets.FUZZING ? 1 : corpusFiles(target).size();
                assertTrue(n >= floor, "fuzz target " + target + " ran " + n + " inputs, expected at least " + floor
                        + (FuzzTargets.FUZZING ? "" : " (one per file of its corpus)"));
            }
        }
    }

    /** Every file of {@code src/test/resources/fuzz/<target>/}, sorted by name. A missing or empty folder fails. */
    static Stream<Arguments> corpus(String target) {
        return corpusFiles(target).stream().map(p -> Arguments.of((Object) read(p)));
    }

    static List<Path> corpusFiles(String target) {
        Path dir = Fixtures.repo().resolve("src/test/resources/fuzz").resolve(target);
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> sorted = files.filter(Files::isRegularFile).sorted().collect(Collectors.toList());
            if (sorted.isEmpty()) {
                throw new IllegalStateException("fuzz corpus " + dir + " is empty");
            }
            return sorted;
        } catch (IOException e) {
            throw new UncheckedIOException("fuzz corpus " + dir + " is missing", e);
        }
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
