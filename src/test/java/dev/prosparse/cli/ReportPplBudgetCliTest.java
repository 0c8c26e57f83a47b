package dev.prosparse.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.Fixtures;
import dev.prosparse.util.Json;
import dev.prosparse.util.Torch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code report sparsity --model TRAINED --compare SOURCE --ppl-budget 1%}: one table with the trained model next to
 * the training-free numbers of its source, on the same windows. The "trained" model is tiny-llama swapped to ReLU with a
 * train sidecar naming tiny-llama on another machine; 4 windows of 32 tokens keep it quick.
 */
class ReportPplBudgetCliTest {
    static final String[] WINDOWS = {"--windows", "4", "--seq-len", "32", "--threads", "2"};

    @BeforeAll
    static void start() {
        Torch.start(2);
    }

    static Path trainedCopy(Path tmp) throws IOException {
        Path run = Files.createDirectories(tmp.resolve("my-run/final"));
        try (var s = Files.list(Fixtures.model("tiny-llama"))) {
            for (Path p : s.toList()) {
                Files.copy(p, run.resolve(p.getFileName().toString()));
            }
        }
        Path c = run.resolve("config.json");
        Files.writeString(c, Files.readString(c).replace("\"silu\"", "\"relu\""));
        Files.writeString(run.resolve("prosparse.json"), "{\"tool\": \"prosparse\", \"command\": \"train\", \"activation\":"
                + " \"relu\", \"source_checkpoint\": \"/elsewhere/checkpoints/tiny-llama\", \"step\": 1, \"stage\": \"final\"}");
        return run;
    }

    @Test
    void trainedModelAndItsSourcesTrainingFreeNumbersInOneTable(@TempDir Path tmp) throws IOException {
        Path run = trainedCopy(tmp);
        Path source = Fixtures.model("tiny-llama");
        // the Markdown form of the table (the terminal's text form is aligned columns: SparsityTextTablesTest)
        Cli r = Cli.run(args("report", "sparsity", "--model", run.toString(), "--compare", source.toString(), "--ppl-budget", "1%",
                "--format", "md"));
        assertEquals(0, r.exitCode(), r.err());
        String out = r.out();
        assertTrue(out.contains("Sparsity with and without training at ≤ 1% perplexity rise, on the same 4 windows × 32 tokens"
                + " of embedded:valid"), out);
        String table = out.substring(out.indexOf("Sparsity with and without training"));    // after the models' own report
        List<String> rows = table.lines().filter(l -> l.startsWith("| ") && !l.startsWith("| model")).toList();
        assertEquals(6, rows.size(), out);
        assertTrue(out.contains("| model | sparsity from | sparsity | perplexity | PPL vs. its as is | PPL vs. tiny-llama as is |"),
                "the source is the baseline although it was --compare: " + out);
        List<String[]> cells = rows.stream().map(l -> l.substring(2, l.length() - 2).split(" \\| ")).toList();
        assertEquals(List.of("tiny-llama · silu", "tiny-llama · silu", "tiny-llama · silu", "my-run/final · relu",
                "my-run/final · relu", "my-run/final · relu"), cells.stream().map(c -> c[0]).toList(), "source first");
        assertEquals(List.of("as is", "x1 magnitude thresholds (PPL-1%)", "CATS σ(gate) magnitude thresholds",
                "trained from tiny-llama", "training + x1 magnitude thresholds (PPL-1%)",
                "training + CATS σ(gate) magnitude thresholds"), cells.stream().map(c -> c[1]).toList());

        // "as is" is an ordinary evaluation on the same windows: the standalone report of each model agrees
        double srcPpl = standalone(source, cells.get(0)), trainedPpl = standalone(run, cells.get(3));
        assertEquals("0.00%", cells.get(0)[2], "SiLU is never exactly zero");
        assertTrue(pct(cells.get(3)[2]) > 50, "a ReLU swap of tiny-llama zeroes about 60 % (fixtures table): " + cells.get(3)[2]);
        // every relative column recomputed by hand from the printed perplexities
        for (int i = 0; i < 6; i++) {
            String[] c = cells.get(i);
            double ppl = Double.parseDouble(c[3]);
            double own = i < 3 ? srcPpl : trainedPpl;
            if (i % 3 == 0) {
                assertEquals("–", c[4]);
            } else {
                assertEquals(100 * (ppl / own - 1), pct(c[4]), 0.011, "row " + i + " vs its as is");
                assertTrue(pct(c[4]) <= 1.0, "within the 1 % budget: " + c[4]);
                assertTrue(pct(c[2]) >= pct(cells.get(i - i % 3)[2]), "thresholds only add zeros: row " + i);
            }
            if (i == 0) {
                assertEquals("–", c[5]);
            } else {
                assertEquals(100 * (ppl / srcPpl - 1), pct(c[5]), 0.011, "row " + i + " vs the source");
            }
        }
    }

    /** The model's own report on the same windows; its perplexity and sparsity must be what the table shows. */
    private static double standalone(Path model, String[] cells) throws IOException {
        Cli r = Cli.run(args("report", "sparsity", "--model", model.toString(), "--format", "json"));
        assertEquals(0, r.exitCode(), r.err());
        JsonNode j = Json.MAPPER.readTree(r.out());
        assertEquals(String.format(Locale.ROOT, "%.3f", j.get("perplexity").asDouble()), cells[3], model + " perplexity");
        assertEquals(String.format(Locale.ROOT, "%.2f%%", 100 * j.get("zero_fraction").asDouble()), cells[2], model + " sparsity");
        return j.get("perplexity").asDouble();
    }

    private static double pct(String cell) {
        return Double.parseDouble(cell.replace("%", "").replace("+", ""));
    }

    private static String[] args(String... a) {
        String[] all = new String[a.length + WINDOWS.length];
        System.arraycopy(a, 0, all, 0, a.length);
        System.arraycopy(WINDOWS, 0, all, a.length, WINDOWS.length);
        return all;
    }
}
