package dev.prosparse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** The conventions every command shares (docs/paths.md): --force to replace an output, parents created, --threads alike. */
class ConventionsCliTest {
    private static final String TINY = Fixtures.model("tiny-llama").toString();

    @Test
    void exportCreatesAMissingParentAndReplacesOnlyWithForce(@TempDir Path tmp) throws IOException {
        Path out = tmp.resolve("not/yet/there/tiny.gguf");
        Cli c = Cli.run("export", "gguf", "--model", TINY, "--out", out.toString());
        assertEquals(0, c.exitCode(), c.err());
        assertTrue(Files.size(out) > 0, "written into the created folder");
        byte[] first = Files.readAllBytes(out);

        c = Cli.run("export", "gguf", "--model", TINY, "--out", out.toString());
        assertEquals(2, c.exitCode(), c.err());
        assertTrue(c.err().contains("exists; pass --force to replace it"), c.err());
        for (String flag : List.of("--force", "--overwrite")) {
            c = Cli.run("export", "gguf", "--model", TINY, "--out", out.toString(), flag);
            assertEquals(0, c.exitCode(), flag + ": " + c.err());
        }
        assertTrue(java.util.Arrays.equals(first, Files.readAllBytes(out)), "the same export again");
    }

    @Test
    void reportSparsityRefusesToReplaceReportFilesWithoutForce(@TempDir Path tmp) throws IOException {
        Files.writeString(tmp.resolve("sparsity.json"), "{}");
        Cli c = Cli.run("report", "sparsity", "--model", TINY, "--act", "relu", "--out", tmp.toString());
        assertEquals(2, c.exitCode(), c.err());
        assertTrue(c.err().contains("already holds sparsity.json; pass --force to replace them"), c.err());
        assertEquals("{}", Files.readString(tmp.resolve("sparsity.json")), "nothing replaced");
        assertFalse(Files.exists(tmp.resolve("sparsity.txt")), "nothing written");
    }

    @Test
    void everyThreadsFlagMeansTheSameWithTheSameDefault() {
        List<String> seen = new ArrayList<>();
        collect(new CommandLine(new Main()), seen);
        assertTrue(seen.size() >= 5, "commands with --threads: " + seen);
        for (String s : seen) {
            assertTrue(s.endsWith(" default 0"), s);
        }
    }

    /** Every row of the presets table starts its columns where the header does (mistral-7b-v0.3 is longer than 14). */
    @Test
    void presetsTableIsAligned() {
        Cli c = Cli.run("presets");
        assertEquals(0, c.exitCode(), c.err());
        List<String> lines = c.out().lines().takeWhile(l -> !l.isBlank()).toList();
        int hub = lines.get(0).indexOf("HUB ID"), type = lines.get(0).indexOf("TYPE"), vocab = lines.get(0).indexOf("VOCAB");
        assertTrue(lines.size() > 10 && lines.stream().anyMatch(l -> l.startsWith("mistral-7b-v0.3 ")), c.out());
        for (String l : lines.subList(1, lines.size())) {
            assertEquals(' ', l.charAt(hub - 1), "HUB ID column: " + l);
            assertTrue(l.charAt(hub) != ' ' && l.charAt(type) != ' ', "columns start under their headers: " + l);
            int vocabEnd = vocab + "VOCAB".length(); // a right-aligned column: the value ends under the header's end
            assertEquals(l.split("\\s+")[7], l.substring(vocabEnd - 7, vocabEnd).strip(), "VOCAB apart from HEADS: " + l);
        }
    }

    private static void collect(CommandLine cl, List<String> seen) {
        OptionSpec t = cl.getCommandSpec().findOption("--threads");
        if (t != null) {
            seen.add(cl.getCommandSpec().qualifiedName() + " default " + t.defaultValue());
        }
        cl.getSubcommands().values().stream().distinct().forEach(sub -> collect(sub, seen));
    }
}
