package dev.prosparse.report;

import dev.prosparse.sparsity.SparsityResult;
import dev.prosparse.sparsity.TrainingFree;
import dev.prosparse.sparsity.TrainingFreeRun;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * The {@code --ppl-budget} table: each checkpoint as evaluated, next to the sparsity that |x1| thresholds (PPL-p%) and
 * CATS thresholds reach without training at ≤ p % perplexity rise, on the same windows (a Markdown table, also
 * readable in a terminal).
 */
public final class TrainingFreeOutput {
    public static final String FILE = "sparsity-ppl-budget.md";

    private TrainingFreeOutput() {}

    public static String render(List<TrainingFreeRun.Row> rows, double budget) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%nTraining-free sparsity at ≤ %s%% perplexity rise (per-layer thresholds at one"
                + " quantile level found by bisection; quantiles from the first %d windows)%n%n", num(100 * budget),
                TrainingFreeRun.CALIBRATION_WINDOWS));
        b.append("| model | activation | as is: PPL | as is: sparsity | x1 magnitude thresholds: sparsity | PPL | CATS σ(gate) magnitude: sparsity | PPL |\n");
        b.append("|---|---|---|---|---|---|---|---|\n");
        for (TrainingFreeRun.Row r : rows) {
            SparsityResult plain = r.plain().result();
            b.append(String.format(Locale.ROOT, "| %s | %s | %.3f | %.2f%% | %s | %s |%n", Path.of(r.plain().modelPath()).toString(),
                    ReportLabels.activation(r.plain()), plain.perplexity(), 100 * plain.zeroFraction(), cell(r.x1(), plain),
                    cell(r.cats(), plain)));
        }
        b.append(String.format(Locale.ROOT, "%nPer-layer thresholds:%n"));
        for (TrainingFreeRun.Row r : rows) {
            for (TrainingFree.Found f : List.of(r.x1(), r.cats())) {
                b.append(String.format(Locale.ROOT, "  %s, %s: level %.4f, thresholds %s, layer sparsity %s%n",
                        r.plain().modelPath(), f.method().label, f.level(), list(f.thresholds(), "%.4g", 1),
                        layers(f.result())));
            }
        }
        return b.toString();
    }

    private static String cell(TrainingFree.Found f, SparsityResult plain) {
        double rise = 100 * (f.result().perplexity() / plain.perplexity() - 1);
        return String.format(Locale.ROOT, "%.2f%% | %.3f (%+.2f%%)", 100 * f.result().zeroFraction(), f.result().perplexity(), rise);
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
