package dev.prosparse.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import dev.prosparse.cli.Main;
import dev.prosparse.config.Activation;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Helpers shared by the convert tests: copies, sharded sources, the CLI with captured output. */
final class ConvertFixtures {
    private ConvertFixtures() {}

    static void copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> s = Files.list(from)) {
            for (Path p : s.collect(Collectors.toList())) {
                if (Files.isRegularFile(p)) {
                    Files.copy(p, to.resolve(p.getFileName()));
                }
            }
        }
    }

    /** A sharded copy of a fixture model (still silu), made by our own re-sharding. */
    static Path sharded(Path tmp, String model, long maxShardBytes) {
        Path out = tmp.resolve(model + "-sharded");
        new Converter().convert(ConvertRequest.of(Fixtures.model(model), out, Activation.SILU, null)
                .withMaxShardSize(maxShardBytes).withForce(true));
        return out;
    }

    /** Asserts that {@code out} was not created and that no temporary folder for it is left beside it. */
    static void assertNothingWritten(Path out) throws IOException {
        assertFalse(Files.exists(out), out + " must not exist");
        Path parent = out.toAbsolutePath().getParent();
        if (Files.isDirectory(parent)) {
            try (Stream<Path> s = Files.list(parent)) {
                List<String> left = s.map(p -> p.getFileName().toString())
                        .filter(n -> n.startsWith("." + out.getFileName() + ".")).collect(Collectors.toList());
                assertTrue(left.isEmpty(), "temporary folders left: " + left);
            }
        }
    }

    static List<String> names(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    /** What a CLI run printed. */
    record Run(int exit, String out, String err) {
        Run expect(int code) {
            assertEquals(code, exit, "exit code; stdout: " + out + "\nstderr: " + err);
            return this;
        }
    }

    /** Runs {@code prosparse args…} in this JVM with stdout and stderr captured; prosparse.home = the repo. */
    static synchronized Run cli(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        String oldHome = System.getProperty("prosparse.home");
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            System.setProperty("prosparse.home", Fixtures.repo().toString());
            int code = Main.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
            if (oldHome == null) {
                System.clearProperty("prosparse.home");
            } else {
                System.setProperty("prosparse.home", oldHome);
            }
        }
    }
}
