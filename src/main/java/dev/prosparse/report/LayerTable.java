package dev.prosparse.report;

import dev.prosparse.sparsity.SparsityReport;
import dev.prosparse.sparsity.SparsityResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;
import java.util.function.ToDoubleFunction;

/**
 * A per-layer table — one row per decoder layer and an {@code all} row — rendered as aligned text or as
 * Markdown. Two shapes: the three x1 statistics of one report, or one statistic of several reports side by side.
 */
final class LayerTable {

    /**
     * One column.
     *
     * @param textHead  title in the text table
     * @param mdHead    title in the Markdown table (escaped when rendered)
     * @param width     text column width
     * @param cell      the formatted value at a layer, or null where the report has no such layer
     * @param all       the formatted value of the {@code all} row
     * @param boldAll   whether Markdown shows the {@code all} value in bold
     */
    record Column(String textHead, String mdHead, int width, IntFunction<String> cell, String all, boolean boldAll) {}

    /** A statistic of a report, per layer and overall. */
    interface Stat {
        double perLayer(SparsityResult r, int layer);
    }

    private final int layers;
    private final List<Column> columns;

    private LayerTable(int layers, List<Column> columns) {
        this.layers = layers;
        this.columns = columns;
    }

    /** One report: zero fraction, mean |x1| and mean |x1| of the active entries. */
    static LayerTable ofReport(SparsityResult r) {
        return new LayerTable(r.layers(), List.of(
                new Column("zero_fraction", "zero fraction", 13, l -> ReportLabels.fixed(r.zeroFraction(l), 4),
                        ReportLabels.fixed(r.zeroFraction(), 4), true),
                new Column("mean|x1|", "mean |x1|", 9, l -> ReportLabels.fixed(r.meanAbs(l), 5),
                        ReportLabels.fixed(r.l1SumOfLayerMeans() / r.layers(), 5), false),
                new Column("mean|x1| active", "mean |x1| active", 16, l -> ReportLabels.fixed(r.meanAbsActive(l), 5),
                        ReportLabels.fixed(r.meanAbsActive(), 5), false)));
    }

    /** One statistic, one column per report headed {@code heads}; rows up to the deepest model. */
    static LayerTable acrossReports(List<SparsityReport> reports, List<String> heads, Stat perLayer,
            ToDoubleFunction<SparsityResult> overall, int decimals) {
        int layers = reports.stream().mapToInt(r -> r.result().layers()).max().orElse(0);
        int width = Math.max(decimals + 3, heads.stream().mapToInt(String::length).max().orElse(0));
        List<Column> cols = new ArrayList<>();
        for (int i = 0; i < reports.size(); i++) {
            SparsityResult res = reports.get(i).result();
            cols.add(new Column(heads.get(i), heads.get(i), width,
                    l -> l < res.layers() ? ReportLabels.fixed(perLayer.perLayer(res, l), decimals) : null,
                    ReportLabels.fixed(overall.applyAsDouble(res), decimals), false));
        }
        return new LayerTable(layers, cols);
    }

    /** Right-aligned columns, two spaces apart; a missing layer shows {@code -}. */
    void text(StringBuilder b) {
        b.append(String.format(Locale.ROOT, "%5s", "layer"));
        for (Column c : columns) {
            b.append(String.format(Locale.ROOT, "  %" + c.width() + "s", c.textHead()));
        }
        b.append('\n');
        for (int l = 0; l <= layers; l++) {
            b.append(String.format(Locale.ROOT, "%5s", l < layers ? String.valueOf(l) : "all"));
            for (Column c : columns) {
                b.append(String.format(Locale.ROOT, "  %" + c.width() + "s", value(c, l, "-")));
            }
            b.append('\n');
        }
    }

    /** A right-aligned Markdown table; the {@code all} row in bold; a missing layer shows an en dash. */
    void markdown(StringBuilder b) {
        b.append("| layer |");
        for (Column c : columns) {
            b.append(' ').append(ReportLabels.md(c.mdHead())).append(" |");
        }
        b.append("\n|---:|").append("---:|".repeat(columns.size())).append('\n');
        for (int l = 0; l <= layers; l++) {
            b.append("| ").append(l < layers ? String.valueOf(l) : "**all**").append(" |");
            for (Column c : columns) {
                String v = value(c, l, "–");
                b.append(' ').append(l == layers && c.boldAll() ? "**" + v + "**" : v).append(" |");
            }
            b.append('\n');
        }
    }

    private String value(Column c, int l, String missing) {
        if (l == layers) {
            return c.all();
        }
        String v = c.cell().apply(l);
        return v == null ? missing : v;
    }
}
