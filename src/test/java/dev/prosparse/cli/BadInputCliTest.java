package dev.prosparse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad input: one clear line, a non-zero exit code, no stack trace (unless --verbose). */
class BadInputCliTest {

    static Path copyModel(Path tmp) throws IOException {
        Path src = Fixtures.model("tiny-llama");
        Path dst = tmp.resolve("model");
        Files.createDirectories(dst);
        try (Stream<Path> s = Files.list(src)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Files.copy(p, dst.resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dst;
    }

    static Cli report(Path model, String... extra) {
        String[] args = new String[4 + extra.length];
        args[0] = "report";
        args[1] = "sparsity";
        args[2] = "--model";
        args[3] = model.toString();
        System.arraycopy(extra, 0, args, 4, extra.length);
        return Cli.run(args);
    }

    static void assertOneLine(Cli r, int exit, String... parts) {
        assertEquals(exit, r.exitCode(), r.err());
        assertEquals(1, r.errorLines(), r.err());
        assertFalse(r.err().contains("\tat "), "no stack trace: " + r.err());
        for (String p : parts) {
            assertTrue(r.err().contains(p), "expected '" + p + "' in: " + r.err());
        }
    }

    /** A flag value picocli cannot convert: the error line and where the options are, not the whole usage screen. */
    @Test
    void flagOfTheWrongTypeIsOneLineNotTheUsageScreen() {
        Cli r = Cli.run("calibrate", "--model", "checkpoints/tiny-llama", "--targets", "abc");
        assertEquals(2, r.exitCode(), r.err());
        assertTrue(r.err().startsWith("error: ") && r.err().contains("--targets") && r.err().contains("abc"), r.err());
        assertTrue(r.err().contains("prosparse calibrate --help"), r.err());
        assertFalse(r.err().contains("Usage:"), r.err());
        Cli typo = Cli.run("train", "--stage", "2");
        assertEquals(2, typo.exitCode(), typo.err());
        assertTrue(typo.err().contains("--stages"), "a suggestion: " + typo.err());
        assertFalse(typo.err().contains("Usage:"), typo.err());
    }

    @Test
    void missingFolderListsWhatIsThere(@TempDir Path tmp) throws IOException {
        Files.createDirectory(tmp.resolve("tiny-llama-relu"));
        assertOneLine(report(tmp.resolve("tiny-lama")), 2, "no such folder", "tiny-llama-relu/");
    }

    @Test
    void missingConfig(@TempDir Path tmp) throws IOException {
        Path m = copyModel(tmp);
        Files.delete(m.resolve("config.json"));
        assertOneLine(report(m), 3, "no config.json", "model.safetensors");
    }

    @Test
    void truncatedSafetensors(@TempDir Path tmp) throws IOException {
        Path m = copyModel(tmp);
        Path f = m.resolve("model.safetensors");
        byte[] all = Files.readAllBytes(f);
        Files.write(f, java.util.Arrays.copyOf(all, all.length - 1000));
        assertOneLine(report(m), 3, "model.safetensors", "truncated");
    }

    @Test
    void unknownHiddenAct(@TempDir Path tmp) throws IOException {
        Path m = copyModel(tmp);
        Path c = m.resolve("config.json");
        Files.writeString(c, Files.readString(c).replace("\"silu\"", "\"gelu_pytorch_tanh\""));
        assertOneLine(report(m), 3, "gelu_pytorch_tanh", "silu, relu, fatrelu");
    }

    @Test
    void shapeThatDisagreesWithTheConfig(@TempDir Path tmp) throws IOException {
        Path m = copyModel(tmp);
        Path c = m.resolve("config.json");
        Files.writeString(c, Files.readString(c).replace("\"intermediate_size\": 352", "\"intermediate_size\": 384"));
        assertOneLine(report(m), 3, "model.layers.0.mlp.gate_proj.weight", "[352, 128]", "[384, 128]");
    }

    @Test
    void emptyDataFile(@TempDir Path tmp) throws IOException {
        Path data = tmp.resolve("empty.jsonl");
        Files.writeString(data, "");
        assertOneLine(report(Fixtures.model("tiny-llama"), "--data", data.toString()), 4, "holds no documents");
    }

    @Test
    void badFlagsNameTheFlag() {
        assertOneLine(report(Fixtures.model("tiny-llama"), "--act", "swishy"), 2, "--act", "valid: silu");
        assertOneLine(report(Fixtures.model("tiny-llama"), "--act", "fatrelu"), 2, "--threshold");
        assertOneLine(report(Fixtures.model("tiny-llama"), "--act", "fatrelu", "--threshold", "-1"), 2, "≥ 0");
        assertOneLine(report(Fixtures.model("tiny-llama"), "--format", "xml"), 2, "--format");
        assertOneLine(report(Fixtures.model("tiny-llama"), "--windows", "0"), 2, "--windows");
    }

    /** --out is checked before the evaluation (minutes to hours on a large model), not after it. */
    @Test
    void unwritableOutFailsBeforeEvaluating(@TempDir Path tmp) throws IOException {
        Path model = Fixtures.model("tiny-llama");
        // control: a writable --out evaluates (and logs "Evaluated", which the failures below must not reach)
        Cli ok = report(model, "--windows", "2", "--seq-len", "32", "--format", "json", "--out", tmp.resolve("ok").toString());
        assertEquals(0, ok.exitCode(), ok.err());
        assertTrue(ok.err().contains("Evaluated"), ok.err());

        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        Cli r = report(model, "--windows", "2", "--seq-len", "32", "--out", file.resolve("reports").toString());
        assertOneLine(r, 2, "--out " + file.resolve("reports"), file + " is a file, so the folder cannot be created");
        assertFalse(r.err().contains("Evaluated"), "failed before evaluating: " + r.err());
        // a read-only place whoever runs the test (root ignores permission bits): procfs refuses new files
        r = report(model, "--windows", "2", "--seq-len", "32", "--out", "/proc/self/prosparse-reports");
        assertOneLine(r, 5, "--out /proc/self/prosparse-reports cannot be written", "choose another --out");
        assertFalse(r.err().contains("Evaluated"), "failed before evaluating: " + r.err());
    }

    @Test
    void verbosePrintsTheStackTrace(@TempDir Path tmp) {
        Cli r = Cli.run("--verbose", "report", "sparsity", "--model", tmp.resolve("nope").toString());
        assertEquals(2, r.exitCode());
        assertTrue(r.err().contains("\tat "), r.err());
    }

    @Test
    void helpAndVersion() {
        Cli v = Cli.run("--version");
        assertEquals(0, v.exitCode());
        assertTrue(v.out().startsWith("prosparse "), v.out());
        Cli h = Cli.run("report", "sparsity", "--help");
        assertEquals(0, h.exitCode());
        assertTrue(h.out().contains("Examples:"), h.out());
        Cli top = Cli.run("--help");
        assertTrue(top.out().contains("train") && top.out().contains("report"), top.out());
    }
}
