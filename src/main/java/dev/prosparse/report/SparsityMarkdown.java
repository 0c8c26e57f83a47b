package dev.prosparse.report;

import dev.prosparse.sparsity.SparsityReport;
import dev.prosparse.sparsity.SparsityResult;
import java.util.List;
import java.util.Locale;

/** The Markdown form of {@code report sparsity}: one report, or several side by side (comparison or sweep). */
final class SparsityMarkdown {
    private SparsityMarkdown() {}

    /** @param withCharts whether the chart files sit next to the Markdown (then it links them) */
    static String render(SparsityOutput out, boolean withCharts) {
        List<SparsityReport> reports = out.reports();
        SparsityReport first = reports.get(0);
        StringBuilder b = new StringBuilder();
        b.append(out.sweep() ? "# Activation sparsity: threshold sweep\n\n" : "# Activation sparsity\n\n");
        b.append("Data: ").append(ReportLabels.md(ReportLabels.dataLine(first))).append(".  \n");
        b.append("Sparsity is the fraction of x1 entries (the input of `down_proj`) that are exactly zero.\n\n");
        if (out.single()) {
            single(b, first);
        } else {
            several(b, reports, out.sweep());
        }
        if (withCharts) {
            b.append("\n![zero fraction of x1 per layer](").append(SparsityOutput.LAYERS_CHART).append(".png)\n");
            if (out.sweep()) {
                b.append("\n![sparsity and perplexity against the threshold](").append(SparsityOutput.SWEEP_CHART)
                        .append(".png)\n");
            }
        }
        return b.toString();
    }

    private static void single(StringBuilder b, SparsityReport r) {
        SparsityResult res = r.result();
        b.append("Model: `").append(r.modelPath()).append("` (").append(r.config().modelType()).append(", ")
                .append(res.layers()).append(" layers), activation **").append(ReportLabels.activation(r)).append("**.\n\n");
        LayerTable.ofReport(res).markdown(b);
        b.append('\n');
        b.append(String.format(Locale.ROOT, "**Overall:** %.2f%% of x1 entries are zero; perplexity %s (loss %.4f)"
                + " on %,d predicted tokens.\n", 100 * res.zeroFraction(), ReportLabels.ppl(res.perplexity()), res.loss(),
                res.tokens()));
    }

    private static void several(StringBuilder b, List<SparsityReport> reports, boolean sweep) {
        SparsityReport first = reports.get(0);
        b.append(sweep ? "One full evaluation per threshold of " + first.activation().hfName()
                + " (the paper's Table 9 for this model).\n\n" : "");
        StringBuilder models = new StringBuilder();
        ReportLabels.modelLines(reports, models, "", "- ");
        b.append(ReportLabels.byModel(reports).size() == 1 ? "Model: `" + first.modelPath() + "`\n\n"
                : "Models:\n\n" + models.toString().replaceAll(" = (.*)", ": `$1`") + "\n");
        new SummaryTable(reports, sweep).markdown(b);
        List<String> heads = ReportLabels.columnHeads(reports, sweep);
        String key = ReportLabels.numbered(heads) ? " (columns: # of the table above)" : "";
        b.append("\nZero fraction per layer").append(key).append(":\n\n");
        LayerTable.acrossReports(reports, heads, SparsityResult::zeroFraction, SparsityResult::zeroFraction, 4).markdown(b);
        b.append("\nMean |x1| of the active entries per layer").append(key).append(":\n\n");
        LayerTable.acrossReports(reports, heads, SparsityResult::meanAbsActive, SparsityResult::meanAbsActive, 5)
                .markdown(b);
    }
}
