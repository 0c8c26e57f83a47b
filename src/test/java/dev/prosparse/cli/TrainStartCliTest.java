package dev.prosparse.cli;

import static dev.prosparse.cli.BadInputCliTest.assertOneLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.Fixtures;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a new user meets when {@code train} cannot start: one line that names the recipe key or option to change
 * (only options train has), and no run folder left behind.
 */
class TrainStartCliTest {

    @TempDir
    Path tmp;

    Path runs;
    Path data;

    @BeforeEach
    void data() throws IOException {
        runs = tmp.resolve("runs");
        data = tmp.resolve("docs.jsonl");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 20; i++) {
            b.append("{\"text\": \"Document ").append(i).append(": the quick brown fox jumps over the lazy dog.\"}\n");
        }
        Files.writeString(data, b.toString());
    }

    /** train on the tiny fixture with the given extra --set overrides and flags. */
    Cli train(String... extra) {
        List<String> args = new ArrayList<>(List.of("train", "--run-name", "r",
                "--set", "model=" + Fixtures.model("tiny-llama"), "--set", "output_dir=" + runs,
                "--set", "data.train=" + data, "--set", "data.eval=" + data, "--set", "threads=1"));
        args.addAll(List.of(extra));
        return Cli.run(args.toArray(String[]::new));
    }

    /** No run folder: output_dir is missing or holds only the shared token cache. */
    void assertNoRunFolder() throws IOException {
        if (Files.isDirectory(runs)) {
            try (Stream<Path> s = Files.list(runs)) {
                List<String> left = s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).toList();
                assertEquals(List.of(), left, "a failed start left a run folder");
            }
        }
    }

    @Test
    void wrongJsonlFieldAdvisesTheRecipeKey() throws IOException {
        Path body = tmp.resolve("body.jsonl");
        Files.writeString(body, "{\"body\": \"some text\"}\n");
        Cli r = train("--set", "data.train=" + body);
        assertOneLine(r, 4, "has no string field \"text\"", "--set data.text_field=NAME", "fields there: body");
        assertFalse(r.err().contains("--text-field"), "train has no --text-field: " + r.err());
        assertNoRunFolder();
    }

    @Test
    void missingDataFileNamesTheRecipeKey() throws IOException {
        Cli r = train("--set", "data.eval=" + tmp.resolve("nope.jsonl"));
        assertOneLine(r, 2, "data.eval " + tmp.resolve("nope.jsonl") + ": file not found");
        assertFalse(r.err().contains("--data"), "train has no --data: " + r.err());
        assertNoRunFolder();
    }

    @Test
    void presetNotOnThisMachineAdvisesOptionsTrainHas() throws IOException {
        Cli r = train("--set", "model=llama2-7b");
        assertOneLine(r, 2, "preset llama2-7b", "is not on this machine", "add --download to fetch it", "--set model=DIR");
        assertFalse(r.err().contains("--model-dir"), "train has no --model-dir: " + r.err());
        assertNoRunFolder();
        Cli help = Cli.run("train", "--help");
        assertTrue(help.out().contains("--download"), "train has the option it advises: " + help.out());
    }

    @Test
    void ggufFolderIsRecognised() throws IOException {
        Path gguf = Files.createDirectories(tmp.resolve("gguf"));
        Files.write(gguf.resolve("tinyllama-q4_k_m.gguf"), new byte[] {'G', 'G', 'U', 'F', 3, 0, 0, 0});
        Cli r = train("--set", "model=" + gguf);
        assertOneLine(r, 3, "tinyllama-q4_k_m.gguf", "GGUF", "llama.cpp", "HuggingFace checkpoint it was made from");
        assertFalse(r.err().contains(".bin"), "no advice about PyTorch .bin files: " + r.err());
        assertNoRunFolder();
        Files.writeString(gguf.resolve("config.json"), Files.readString(Fixtures.model("tiny-llama").resolve("config.json")));
        r = train("--set", "model=" + gguf);
        assertOneLine(r, 3, "GGUF", "llama.cpp");
        assertNoRunFolder();
    }

    @Test
    void recipeMistakesAndBadActivationsLeaveNothing() throws IOException {
        assertOneLine(train("--set", "stages.2.l1_lambda=abc"), 2, "key 'stages.2.l1_lambda' must be a number, got the text 'abc'");
        assertNoRunFolder();
        assertOneLine(train("--set", "activation=gelu"), 2, "recipe key activation", "gelu");
        assertNoRunFolder();
        assertOneLine(train("--set", "activation=fatrelu", "--set", "threshold=null"), 2, "recipe key threshold");
        assertNoRunFolder();
    }

    @Test
    void aFailureAfterTheFolderExistsRemovesIt() throws IOException {
        // 20 short documents hold far fewer tokens than 1,000 windows of 256: the trainer fails while reading data
        Cli r = train("--set", "eval.windows=1000");
        assertEquals(4, r.exitCode(), r.err());
        assertNoRunFolder();
    }
}
