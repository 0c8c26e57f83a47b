package dev.prosparse.report;

import dev.prosparse.sparsity.SparsityReport;
import dev.prosparse.sparsity.SparsityResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The one-row-per-report summary of a comparison or sweep (perplexity, loss, zero fraction, mean |x1| active),
 * rendered as aligned text or as Markdown. A sweep shows the threshold, a comparison the label and activation.
 */
final class SummaryTable {
    private final List<List<String>> rows;

    SummaryTable(List<SparsityReport> reports, boolean sweep) {
        this.rows = rows(reports, sweep);
    }

    private static List<List<String>> rows(List<SparsityReport> reports, boolean sweep) {
        List<String> labels = ReportLabels.labels(reports);
        Map<String, List<SparsityReport>> byModel = ReportLabels.byModel(reports);
        boolean severalModels = byModel.size() > 1;
        Map<String, String> names = ReportLabels.modelNames(new ArrayList<>(byModel.keySet()));
        List<List<String>> rows = new ArrayList<>();
        List<String> head = new ArrayList<>(List.of("#"));
        if (sweep) {
            if (severalModels) {
                head.add("model");
            }
            head.add("threshold");
        } else {
            head.add("label");
            head.add("activation");
        }
        head.addAll(List.of("perplexity", "loss", "zero_fraction", "mean|x1| active"));
        rows.add(head);
        for (int i = 0; i < reports.size(); i++) {
            SparsityReport r = reports.get(i);
            SparsityResult res = r.result();
            List<String> row = new ArrayList<>(List.of(String.valueOf(i + 1)));
            if (sweep) {
                if (severalModels) {
                    row.add(names.get(r.modelPath()));
                }
                row.add(ReportLabels.param(r.activationParam()));
            } else {
                row.add(labels.get(i));
                row.add(ReportLabels.activation(r));
            }
            row.addAll(List.of(ReportLabels.ppl(res.perplexity()), ReportLabels.fixed(res.loss(), 4),
                    ReportLabels.fixed(res.zeroFraction(), 4), ReportLabels.fixed(res.meanAbsActive(), 5)));
            rows.add(row);
        }
        return rows;
    }

    /** Whether a column holds numbers (right-aligned). */
    private static boolean numeric(String header) {
        return !header.equals("label") && !header.equals("model") && !header.equals("activation") && !header.equals("#");
    }

    /** Columns two spaces apart, padded to the widest cell; text left-aligned, numbers right-aligned. */
    void text(StringBuilder b) {
        int[] w = new int[rows.get(0).size()];
        for (List<String> row : rows) {
            for (int c = 0; c < w.length; c++) {
                w[c] = Math.max(w[c], row.get(c).length());
            }
        }
        for (List<String> row : rows) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < w.length; c++) {
                boolean left = c == 0 || !numeric(rows.get(0).get(c));
                String cell = row.get(c);
                String pad = " ".repeat(w[c] - cell.length());
                line.append(c == 0 ? "" : "  ").append(left ? cell + pad : pad + cell);
            }
            b.append(line.toString().stripTrailing()).append('\n');
        }
    }

    void markdown(StringBuilder b) {
        for (int i = 0; i < rows.size(); i++) {
            b.append('|');
            for (String cell : rows.get(i)) {
                b.append(' ').append(ReportLabels.md(cell)).append(" |");
            }
            b.append('\n');
            if (i == 0) {
                b.append('|');
                for (String h : rows.get(0)) {
                    b.append(numeric(h) ? "---:|" : "---|");
                }
                b.append('\n');
            }
        }
    }
}
