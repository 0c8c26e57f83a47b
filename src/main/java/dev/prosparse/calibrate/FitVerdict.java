package dev.prosparse.calibrate;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * Whether the probes can give a λ_S at all, and for which targets (docs/target-sparsity.md, "When calibrate writes no
 * recipe"). A fit to probes that did not respond to λ is flat, so it "predicts" every probe well and sends any target to
 * an absurd λ_S; these checks refuse it instead:
 * <ul>
 *   <li>the probes must respond: their measured sparsities span at least {@link #MIN_RESPONSE_POINTS};</li>
 *   <li>the chosen fit must rise over the probed λ range by at least as much (a flat or falling fit is noise);</li>
 *   <li>it must predict the held-out probes within {@link #MAX_HELD_OUT_POINTS};</li>
 *   <li>per target: the fit must reach it, at a λ_S no further than a factor {@link #EXTRAPOLATION} outside the probed
 *       λ range.</li>
 * </ul>
 *
 * @param refusal null when the fit is usable; else why no target gets a recipe and what to change
 * @param targets one entry per target, in the order asked
 */
public record FitVerdict(String refusal, List<TargetLambda> targets) {

    /** The smallest spread of probe sparsities, and the smallest rise of the fit over the probed λ, in points. */
    public static final double MIN_RESPONSE_POINTS = 2.0;
    /** The largest error of the chosen fit on a held-out probe, in points. */
    public static final double MAX_HELD_OUT_POINTS = 5.0;
    /** How far outside [smallest, largest probe λ_S] a recipe's λ_S may lie, as a factor. */
    public static final double EXTRAPOLATION = 1.5;

    /**
     * A target and its λ_S.
     *
     * @param lambda the fitted λ_S, NaN when the target gets no recipe
     * @param why    null when it gets one; else why not and what to change
     */
    public record TargetLambda(double target, double lambda, String why) {
        public boolean ok() {
            return why == null;
        }
    }

    /** Whether at least one target gets a recipe. */
    public boolean anyRecipe() {
        return refusal == null && targets.stream().anyMatch(TargetLambda::ok);
    }

    /** The targets without a recipe. */
    public List<TargetLambda> missing() {
        return targets.stream().filter(t -> !t.ok()).toList();
    }

    /** Judges the fit of {@code r} for each target. */
    public static FitVerdict judge(Calibrator.Result r, List<Double> targets, Calibrator.Plan plan) {
        List<Calibrator.Probe> probes = r.probes();
        double lo = probes.stream().mapToDouble(Calibrator.Probe::lambda).min().orElseThrow();
        double hi = probes.stream().mapToDouble(Calibrator.Probe::lambda).max().orElseThrow();
        double sMin = probes.stream().mapToDouble(Calibrator.Probe::sparsity).min().orElseThrow();
        double sMax = probes.stream().mapToDouble(Calibrator.Probe::sparsity).max().orElseThrow();
        String refusal = refusal(r, plan, lo, hi, sMin, sMax);
        List<TargetLambda> out = new ArrayList<>();
        for (double t : targets) {
            if (refusal != null) {
                out.add(new TargetLambda(t, Double.NaN, "no usable fit"));
                continue;
            }
            double lam = r.chosen().lambdaFor(t);
            if (!(lam > 0) || Double.isInfinite(lam)) {
                out.add(new TargetLambda(t, Double.NaN, String.format(Locale.ROOT, "the fit (%s) never reaches %s; the"
                        + " probes reached %s–%s: lower the target, or probe larger λ_S (--lambdas)", r.chosen().formula(),
                        pct(t), pct(sMin), pct(sMax))));
            } else if (lam > hi * EXTRAPOLATION) {
                out.add(new TargetLambda(t, Double.NaN, String.format(Locale.ROOT, "the fit puts %s at λ_S %s, %s× the"
                        + " largest probe λ_S %s (the probes reached at most %s); a fit is not trusted beyond %s× its"
                        + " probes: probe up to it, for example --lambdas %s", pct(t), Calibrator.num(lam),
                        times(lam / hi), Calibrator.num(hi), pct(sMax), Calibrator.num(EXTRAPOLATION),
                        wider(plan.lambdas(), lam))));
            } else if (lam < lo / EXTRAPOLATION) {
                out.add(new TargetLambda(t, Double.NaN, String.format(Locale.ROOT, "the fit puts %s at λ_S %s, below a"
                        + " 1/%s of the smallest probe λ_S %s (the probes reached at least %s): probe down to it, for example"
                        + " --lambdas %s", pct(t), Calibrator.num(lam), Calibrator.num(EXTRAPOLATION), Calibrator.num(lo),
                        pct(sMin), wider(plan.lambdas(), lam))));
            } else {
                out.add(new TargetLambda(t, lam, null));
            }
        }
        return new FitVerdict(refusal, List.copyOf(out));
    }

    private static String refusal(Calibrator.Result r, Calibrator.Plan plan, double lo, double hi, double sMin, double sMax) {
        String longer = String.format(Locale.ROOT, "give longer probes (--probe-steps, now %d; a probe should train at least"
                + " half as many tokens as the run) or a wider λ range (--lambdas, now %s)", plan.steps(),
                plan.lambdas().stream().map(Calibrator::num).collect(Collectors.joining(",")));
        double spread = 100 * (sMax - sMin);
        if (spread < MIN_RESPONSE_POINTS) {
            return String.format(Locale.ROOT, "sparsity does not respond to λ: the %d probes measured %s–%s across λ_S"
                    + " %s–%s, a spread of %.2f points (at least %s needed), so any fit is flat and its λ_S meaningless;"
                    + " %s", r.probes().size(), pct(sMin), pct(sMax), Calibrator.num(lo), Calibrator.num(hi), spread,
                    Calibrator.num(MIN_RESPONSE_POINTS), longer);
        }
        LambdaFit f = r.chosen();
        double rise = 100 * (f.sparsity(hi) - f.sparsity(lo));
        if (!(rise >= MIN_RESPONSE_POINTS)) {
            return String.format(Locale.ROOT, "the fit (%s) %s by %.2f points over the probed λ_S %s–%s (a rise of at"
                    + " least %s needed): the probes are noise, not a response to λ; %s", f.formula(),
                    rise >= 0 ? "rises only" : "falls", Math.abs(rise), Calibrator.num(lo), Calibrator.num(hi),
                    Calibrator.num(MIN_RESPONSE_POINTS), longer);
        }
        double held = f == r.paper() ? r.paperHeldOut() : r.powerHeldOut();
        if (held > MAX_HELD_OUT_POINTS) {
            return String.format(Locale.ROOT, "the fit (%s) misses a held-out probe by %.2f points (at most %s allowed):"
                    + " the probes are too noisy to fit; %s", f.formula(), held, Calibrator.num(MAX_HELD_OUT_POINTS), longer);
        }
        return null;
    }

    /** The probe λ_S list with {@code lambda} and twice it (or half it, below the list) added, sorted: a suggestion. */
    static String wider(List<Double> lambdas, double lambda) {
        double lo = lambdas.stream().mapToDouble(Double::doubleValue).min().orElse(lambda);
        List<Double> all = new ArrayList<>(lambdas);
        all.add(round(lambda));
        all.add(round(lambda < lo ? lambda / 2 : 2 * lambda));
        return all.stream().distinct().sorted().map(Calibrator::num).collect(Collectors.joining(","));
    }

    /** Two significant digits. */
    private static double round(double v) {
        return new java.math.BigDecimal(v).round(new java.math.MathContext(2)).doubleValue();
    }

    private static String times(double v) {
        return v >= 10 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.2g", v);
    }

    static String pct(double s) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * s);
    }
}
