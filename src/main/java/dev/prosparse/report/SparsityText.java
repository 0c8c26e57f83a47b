package dev.prosparse.report;

import dev.prosparse.util.Plural;
import dev.prosparse.sparsity.SparsityReport;
import dev.prosparse.sparsity.SparsityResult;
import java.util.List;
import java.util.Locale;

/** The terminal table of {@code report sparsity}: one report, or several side by side (comparison or sweep). */
final class SparsityText {
    private SparsityText() {}

    static String render(SparsityOutput out) {
        return out.single() ? single(out.reports().get(0)) : several(out.reports(), out.sweep());
    }

    private static String single(SparsityReport r) {
        SparsityResult res = r.result();
        StringBuilder b = new StringBuilder();
        String act = r.activation().hfName() + (r.activation().takesParam() ? " (param " + r.activationParam() + ")" : "");
        b.append(String.format(Locale.ROOT, "model       %s  [%s, %d layers, activation %s]\n", r.modelPath(),
                r.config().modelType(), r.config().numHiddenLayers(), act));
        b.append(String.format(Locale.ROOT, "evaluated   %s in %.1f s\n", r.mode(), r.seconds()));
        b.append(String.format(Locale.ROOT, "data        %s  (%,d tokens), %s x %d = %,d predicted tokens\n",
                r.dataSource(), r.streamTokens(), Plural.of(r.windows().count(), "window"), r.windows().seqLen(), res.tokens()));
        b.append(String.format(Locale.ROOT, "loss        %.4f   perplexity %.3f\n", res.loss(), res.perplexity()));
        b.append(String.format(Locale.ROOT, "sparsity    %.2f%% of x1 entries are zero\n\n", 100 * res.zeroFraction()));
        LayerTable.ofReport(res).text(b);
        return b.toString();
    }

    private static String several(List<SparsityReport> reports, boolean sweep) {
        StringBuilder b = new StringBuilder();
        b.append("data   ").append(ReportLabels.dataLine(reports.get(0))).append('\n');
        ReportLabels.modelLines(reports, b, "model  ", "");
        b.append(sweep ? "threshold sweep: one full evaluation per threshold\n\n" : "\n");
        new SummaryTable(reports, sweep).text(b);
        List<String> heads = ReportLabels.columnHeads(reports, sweep);
        String key = ReportLabels.numbered(heads) ? " (columns: # of the table above)" : "";
        b.append("\nzero fraction of x1 per layer").append(key).append('\n');
        LayerTable.acrossReports(reports, heads, SparsityResult::zeroFraction, SparsityResult::zeroFraction, 4).text(b);
        b.append("\nmean |x1| of the active (non-zero) entries per layer").append(key).append('\n');
        LayerTable.acrossReports(reports, heads, SparsityResult::meanAbsActive, SparsityResult::meanAbsActive, 5).text(b);
        return b.toString();
    }
}
