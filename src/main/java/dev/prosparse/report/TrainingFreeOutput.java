package dev.prosparse.report;

import dev.prosparse.data.EvalWindows;
import dev.prosparse.sparsity.SparsityResult;
import dev.prosparse.sparsity.TrainingFree;
import dev.prosparse.sparsity.TrainingFreeRun;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Locale;

/**
 * The {@code --ppl-budget} table: one row per checkpoint and way of getting sparsity — as evaluated (for a trained
 * checkpoint: its training), with |x1| thresholds (PPL-p%), with CATS thresholds — all on the same windows, perplexity
 * against the checkpoint's own "as is" (the budget) and against one baseline (the source a trained checkpoint came from,
 * else --model). Aligned plain text for the terminal, Markdown for the file; below it each method's level and per-layer
 * thresholds.
 */
public final class TrainingFreeOutput {
    public static final String FILE = "sparsity-ppl-budget.md";

    private TrainingFreeOutput() {}

    /** The table as aligned plain text, for the terminal ({@code --format text}). */
    public static String text(TrainingFreeRun.Table table) {
        return render(table, false);
    }

    /** The table in Markdown, for {@link #FILE} and {@code --format md}. */
    public static String markdown(TrainingFreeRun.Table table) {
        return render(table, true);
    }

    private static String render(TrainingFreeRun.Table table, boolean md) {
        List<TrainingFreeRun.Row> rows = table.rows();
        Map<String, String> names = ReportLabels.modelNames(rows.stream().map(r -> r.plain().modelPath()).distinct().toList());
        TrainingFreeRun.Row base = rows.get(table.baseline());
        String baseName = names.get(base.plain().modelPath());
        String budget = num(100 * table.budget()) + "%";
        EvalWindows w = base.plain().windows();
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%nSparsity with and without training at ≤ %s perplexity rise, on the same %d windows"
                + " × %d tokens of %s%n(training-free: per-layer thresholds at one quantile level found by bisection;"
                + " quantiles from the first %d windows)%n%n", budget, w.count(), w.seqLen(), base.plain().dataSource(),
                Math.min(TrainingFreeRun.CALIBRATION_WINDOWS, w.count())));
        List<List<String>> cells = new ArrayList<>();
        cells.add(List.of("model", "sparsity from", "sparsity", "perplexity", "PPL vs. its as is",
                "PPL vs. " + baseName + " as is"));
        double basePpl = base.plain().result().perplexity();
        List<TrainingFreeRun.Row> ordered = new ArrayList<>();
        ordered.add(base);
        rows.stream().filter(r -> r != base).forEach(ordered::add);
        for (TrainingFreeRun.Row r : ordered) {
            String model = names.get(r.plain().modelPath()) + " · " + ReportLabels.activation(r.plain());
            SparsityResult plain = r.plain().result();
            String asIs = r.source() >= 0 ? "trained from " + names.get(rows.get(r.source()).plain().modelPath()) : "as is";
            String prefix = r.source() >= 0 ? "training + " : "";
            cells.add(row(model, asIs, plain, plain, r == base ? null : basePpl));
            cells.add(row(model, prefix + "x1 magnitude thresholds (PPL-" + budget + ")", r.x1().result(), plain, basePpl));
            cells.add(row(model, prefix + "CATS σ(gate) magnitude thresholds", r.cats().result(), plain, basePpl));
        }
        if (md) {
            markdownTable(cells, b);
        } else {
            textTable(cells, b);
        }
        b.append(String.format(Locale.ROOT, "%nPer-layer thresholds:%n"));
        for (TrainingFreeRun.Row r : ordered) {
            for (TrainingFree.Found f : List.of(r.x1(), r.cats())) {
                b.append(String.format(Locale.ROOT, "  %s, %s: level %.4f, thresholds %s, layer sparsity %s%n",
                        r.plain().modelPath(), f.method().label, f.level(), list(f.thresholds(), "%.4g", 1),
                        layers(f.result())));
            }
        }
        return b.toString();
    }

    /** Columns two spaces apart: the two text columns left-aligned, the numbers right-aligned. */
    private static void textTable(List<List<String>> cells, StringBuilder b) {
        int[] w = new int[cells.get(0).size()];
        for (List<String> row : cells) {
            for (int c = 0; c < w.length; c++) {
                w[c] = Math.max(w[c], row.get(c).length());
            }
        }
        for (List<String> row : cells) {
            StringBuilder line = new StringBuilder();
            for (int c = 0; c < w.length; c++) {
                String pad = " ".repeat(w[c] - row.get(c).length());
                line.append(c == 0 ? "" : "  ").append(c < 2 ? row.get(c) + pad : pad + row.get(c));
            }
            b.append(line.toString().stripTrailing()).append('\n');
        }
    }

    private static void markdownTable(List<List<String>> cells, StringBuilder b) {
        for (int i = 0; i < cells.size(); i++) {
            b.append('|');
            for (String cell : cells.get(i)) {
                b.append(' ').append(ReportLabels.md(cell)).append(" |");
            }
            b.append('\n');
            if (i == 0) {
                b.append("|---|---|---:|---:|---:|---:|\n");
            }
        }
    }

    /** One table row; {@code basePpl} null for the baseline's own "as is" row. */
    private static List<String> row(String model, String from, SparsityResult r, SparsityResult own, Double basePpl) {
        return List.of(model, from, String.format(Locale.ROOT, "%.2f%%", 100 * r.zeroFraction()),
                String.format(Locale.ROOT, "%.3f", r.perplexity()), r == own ? "–" : rise(r.perplexity(), own.perplexity()),
                basePpl == null ? "–" : rise(r.perplexity(), basePpl));
    }

    private static String rise(double ppl, double reference) {
        return String.format(Locale.ROOT, "%+.2f%%", 100 * (ppl / reference - 1));
    }

    private static String layers(SparsityResult r) {
        double[] z = new double[r.layers()];
        for (int l = 0; l < z.length; l++) {
            z[l] = r.zeroFraction(l);
        }
        return list(z, "%.1f%%", 100);
    }

    private static String list(double[] v, String fmt, double scale) {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < v.length; i++) {
            b.append(i == 0 ? "" : ", ").append(String.format(Locale.ROOT, fmt, scale * v[i]));
        }
        return b.append(']').toString();
    }

    private static String num(double v) {
        return java.math.BigDecimal.valueOf(v).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
    }
}
