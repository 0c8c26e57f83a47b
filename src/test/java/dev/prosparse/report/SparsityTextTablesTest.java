package dev.prosparse.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.prosparse.TorchTestBase;
import dev.prosparse.sparsity.SparsityReport;
import dev.prosparse.sparsity.TrainingFree;
import dev.prosparse.sparsity.TrainingFreeRun;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The terminal form of {@code report sparsity} is plain aligned text: per-layer columns are titled consistently
 * (all labels, or all summary-row numbers, never a mix) and the {@code --ppl-budget} table is not Markdown there.
 */
class SparsityTextTablesTest extends TorchTestBase {
    static SparsityReport relu;
    static SparsityReport fatrelu;

    @BeforeAll
    static void evaluate() {
        relu = SparsityFormatsGoldenTest.evaluate("tiny-llama", "relu", 0);
        fatrelu = SparsityFormatsGoldenTest.evaluate("tiny-llama", "fatrelu", 0);
    }

    static SparsityReport at(SparsityReport r, String path) {
        return new SparsityReport(path, r.config(), r.activation(), r.activationParam(), r.dataSource(), r.dataSha256(),
                r.streamTokens(), r.windows(), r.result(), r.mode(), r.seconds());
    }

    @Test
    void oneLongLabelTitlesEveryColumnByItsSummaryRow() {
        // labels "tiny-llama · relu" (17 characters, fits) and "a-long-run-name/final · fatrelu 0" (too wide)
        List<SparsityReport> reports = List.of(at(relu, "checkpoints/tiny-llama"),
                at(fatrelu, "checkpoints/runs/a-long-run-name/final"));
        assertEquals(List.of("#1", "#2"), ReportLabels.columnHeads(reports, false));

        String text = new SparsityOutput(reports, false).text();
        List<String> lines = text.lines().toList();
        int at = lines.indexOf("zero fraction of x1 per layer (columns: # of the table above)");
        assertTrue(at > 0, text);
        assertEquals(List.of("layer", "#1", "#2"), List.of(lines.get(at + 1).trim().split("\\s+")), text);
        assertFalse(text.contains("tiny-llama · relu  #2"), text);

        String md = new SparsityOutput(reports, false).markdown(false);
        assertTrue(md.contains("| layer | #1 | #2 |"), md);
        assertTrue(md.contains("Zero fraction per layer (columns: # of the table above):"), md);
    }

    @Test
    void shortLabelsStayColumnTitles() {
        List<SparsityReport> reports = List.of(at(relu, "checkpoints/tiny-llama"), at(fatrelu, "checkpoints/tiny-llama"));
        assertEquals(List.of("relu", "fatrelu 0"), ReportLabels.columnHeads(reports, false));
        assertTrue(new SparsityOutput(reports, false).text().contains("\nzero fraction of x1 per layer\n"));
    }

    @Test
    void pplBudgetTableIsAlignedTextOnTheTerminalAndMarkdownInItsFile() {
        double[] thresholds = new double[relu.result().layers()];
        TrainingFreeRun.Row row = new TrainingFreeRun.Row(at(relu, "checkpoints/tiny-llama"),
                new TrainingFree.Found(TrainingFree.Method.X1, 0.5, thresholds, fatrelu.result()),
                new TrainingFree.Found(TrainingFree.Method.CATS, 0.25, thresholds, fatrelu.result()), -1);
        TrainingFreeRun.Table table = new TrainingFreeRun.Table(List.of(row), 0, 0.01);

        String text = TrainingFreeOutput.text(table);
        List<String> lines = text.lines().toList();
        int head = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith("model ")) {
                head = i;
            }
        }
        assertTrue(head > 0, text);
        for (String l : lines) {
            assertFalse(l.startsWith("|") || l.contains("---|"), "a Markdown line in the text form: " + l);
        }
        // the perplexity column is right-aligned under its title: as is, x1 thresholds, CATS thresholds
        int end = lines.get(head).indexOf("perplexity") + "perplexity".length();
        List<Double> ppl = List.of(relu.result().perplexity(), fatrelu.result().perplexity(), fatrelu.result().perplexity());
        for (int k = 0; k < 3; k++) {
            String v = String.format(Locale.ROOT, "%.3f", ppl.get(k));
            String line = lines.get(head + 1 + k);
            assertTrue(line.startsWith("tiny-llama · relu"), line);
            assertEquals(end, line.indexOf(" " + v + " ") + 1 + v.length(), "perplexity column in:\n" + text);
        }

        String md = TrainingFreeOutput.markdown(table);
        assertTrue(md.contains("| model | sparsity from | sparsity | perplexity | PPL vs. its as is | PPL vs. tiny-llama as is |"),
                md);
        assertTrue(md.contains("| tiny-llama · relu | as is |"), md);
    }
}
