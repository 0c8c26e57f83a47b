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
 * else --model). A Markdown table, also readable in a terminal; below it each method's level and per-layer thresholds.
 */
public final class TrainingFreeOutput {
    public static final String FILE = "sparsity-ppl-budget.md";

    private TrainingFreeOutput() {}

    public static String render(TrainingFreeRun.Table table) {
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
        b.append("| model | sparsity from | sparsity | perplexity | PPL vs. its as is | PPL vs. ").append(baseName)
                .append(" as is |\n|---|---|---|---|---|---|\n");
        double basePpl = base.plain().result().perplexity();
        List<TrainingFreeRun.Row> ordered = new ArrayList<>();
        ordered.add(base);
        rows.stream().filter(r -> r != base).forEach(ordered::add);
        for (TrainingFreeRun.Row r : ordered) {
            String model = names.get(r.plain().modelPath()) + " · " + ReportLabels.activation(r.plain());
            SparsityResult plain = r.plain().result();
            String asIs = r.source() >= 0 ? "trained from " + names.get(rows.get(r.source()).plain().modelPath()) : "as is";
            String prefix = r.source() >= 0 ? "training + " : "";
            b.append(row(model, asIs, plain, plain, r == base ? null : basePpl));
            b.append(row(model, prefix + "x1 magnitude thresholds (PPL-" + budget + ")", r.x1().result(), plain, basePpl));
            b.append(row(model, prefix + "CATS σ(gate) magnitude thresholds", r.cats().result(), plain, basePpl));
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

    /** One table row; {@code basePpl} null for the baseline's own "as is" row. */
    private static String row(String model, String from, SparsityResult r, SparsityResult own, Double basePpl) {
        return String.format(Locale.ROOT, "| %s | %s | %.2f%% | %.3f | %s | %s |%n", model, from, 100 * r.zeroFraction(),
                r.perplexity(), r == own ? "–" : rise(r.perplexity(), own.perplexity()),
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
