package dev.prosparse.calibrate;

import dev.prosparse.train.L1Schedule;
import dev.prosparse.train.Recipe;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/** What {@code prosparse calibrate} prints and writes: the probe table, both fits, and one recipe per target. */
final class CalibrationReport {
    private CalibrationReport() {}

    /** Training tokens of one full run of the recipe. */
    static long fullRunTokens(Recipe base) {
        return (long) new L1Schedule(base.stages()).totalSteps() * base.batchSize() * base.gradAccum() * base.seqLen();
    }

    /** The tokens of one probe step: "8×256", or "8×64×4096" with gradient accumulation. */
    static String stepShape(Calibrator.Plan plan) {
        return plan.gradAccum() == 1 ? plan.batchSize() + "×" + plan.seqLen()
                : plan.batchSize() + "×" + plan.gradAccum() + "×" + plan.seqLen();
    }

    /** Printed before the first probe: what the probes cost, against one full run of the recipe, and what they are. */
    static String budget(Calibrator.Plan plan, Recipe base) {
        long full = fullRunTokens(base);
        int fullSteps = new L1Schedule(base.stages()).totalSteps();
        String step = base.gradAccum() == 1 ? base.batchSize() + "×" + base.seqLen()
                : base.batchSize() + "×" + base.gradAccum() + "×" + base.seqLen();
        return String.format(Locale.ROOT, "Probe budget: %d probes × %d steps × %s tokens = %,d tokens, %s one full run of"
                + " the recipe (%,d steps × %s = %,d tokens); %d held out to check the fit%nProbe λ_S: %s (the recipe's λ_S is"
                + " %s)%n", plan.lambdas().size(), plan.steps(), stepShape(plan), plan.tokens(), ratio((double) plan.tokens() / full),
                fullSteps, step, full, plan.heldOut().size(), plan.lambdas().stream().map(Calibrator::num)
                        .collect(Collectors.joining(", ")),
                Calibrator.num(base.stages().get(base.stages().size() - 1).l1Lambda()));
    }

    /** "2.50×" from one full run up, "35% of" or "0.039% of" below. */
    static String ratio(double r) {
        return r >= 1 ? String.format(Locale.ROOT, "%.2f×", r)
                : java.math.BigDecimal.valueOf(100 * r).round(new java.math.MathContext(2)).stripTrailingZeros().toPlainString() + "% of";
    }

    static String render(Calibrator.Result r, FitVerdict v, Calibrator.Plan plan) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%n## Probes (%d steps of %s tokens each; sparsity on %d evaluation windows)%n%n",
                plan.steps(), stepShape(plan), plan.windows()));
        b.append("| λ_S | used for | sparsity | perplexity | paper law predicts | power law predicts |\n|---|---|---|---|---|---|\n");
        for (Calibrator.Probe p : r.probes()) {
            b.append(String.format(Locale.ROOT, "| %s | %s | %.2f%% | %.2f | %s | %.2f%% |%n", p.lambda(),
                    p.heldOut() ? "held out" : "fit", 100 * p.sparsity(), p.perplexity(),
                    r.paper() == null ? "–" : String.format(Locale.ROOT, "%.2f%%", 100 * r.paper().sparsity(p.lambda())),
                    100 * r.power().sparsity(p.lambda())));
        }
        b.append("\n## Fits\n\n");
        if (r.paper() != null) {
            b.append(String.format(Locale.ROOT, "- paper law: %s; RMS error on the fitted probes %.2f points, largest error on"
                    + " held-out probes %s%n", r.paper().formula(), r.paper().rmsPoints(), pts(r.paperHeldOut())));
        }
        b.append(String.format(Locale.ROOT, "- power law: %s; RMS error on the fitted probes %.2f points, largest error on"
                + " held-out probes %s%n", r.power().formula(), r.power().rmsPoints(), pts(r.powerHeldOut())));
        b.append(String.format(Locale.ROOT, "- chosen: the %s (smaller held-out error)%n%n## λ_S per target%n%n",
                r.chosen().law() == LambdaFit.Law.PAPER ? "paper law" : "power law"));
        if (v.refusal() != null) {
            b.append("No recipe: ").append(v.refusal()).append("\n");
            return b.toString();
        }
        for (FitVerdict.TargetLambda t : v.targets()) {
            b.append(t.ok() ? String.format(Locale.ROOT, "- %s%%: λ_S = %s%s%n", Calibrator.num(100 * t.target()), Calibrator.num(t.lambda()),
                    extrapolated(r, t.lambda()) ? " (outside the probed λ range, within the bound: an extrapolation)" : "")
                    : String.format(Locale.ROOT, "- %s%%: no recipe: %s%n", Calibrator.num(100 * t.target()), t.why()));
        }
        return b.toString();
    }

    static boolean extrapolated(Calibrator.Result r, double lam) {
        double lo = r.probes().stream().mapToDouble(Calibrator.Probe::lambda).min().orElse(0);
        double hi = r.probes().stream().mapToDouble(Calibrator.Probe::lambda).max().orElse(0);
        return !(lam >= lo && lam <= hi);
    }

    private static String pts(double v) {
        return Double.isNaN(v) ? "– (none held out)" : String.format(Locale.ROOT, "%.2f points", v);
    }

    static String fileName(Path config, String model, double target) {
        String recipe = config == null ? "demo" : config.getFileName().toString().replaceAll("\\.ya?ml$", "");
        String m = Path.of(model).getFileName().toString().replaceAll("[^A-Za-z0-9._-]", "_");
        return String.format(Locale.ROOT, "%s-%s-s%s.yaml", recipe, m, Calibrator.num(100 * target));
    }

    /** The recipe with its stage table scaled to λ_S, opening with the command that runs it and the fit it came from. */
    static String recipe(Path config, List<String> sets, Recipe base, double lambdaS, double target, Calibrator.Result r,
            Path file) {
        List<String> s = new ArrayList<>(sets);
        s.add("stages=" + Calibrator.stagesYaml(base.stages(), lambdaS));
        Recipe out = Recipe.load(config, s);
        return String.format(Locale.ROOT, "# prosparse train --config %s%n# Calibrated by prosparse calibrate for %.1f%% sparsity:"
                + " λ_S = %s (the last stage's l1_lambda; the recipe's other λ values scaled with it).%n# Fit: %s;"
                + " largest error on held-out probes %.2f points.%n%s", file, 100 * target, Calibrator.num(lambdaS),
                r.chosen().formula(), r.chosen() == r.paper() ? r.paperHeldOut() : r.powerHeldOut(), out.toYaml());
    }
}
