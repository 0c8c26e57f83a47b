package dev.prosparse.calibrate;

import dev.prosparse.train.L1Schedule;
import dev.prosparse.train.Recipe;
import dev.prosparse.train.Stage;
import java.util.List;
import java.util.stream.DoubleStream;

/**
 * What {@code prosparse calibrate} probes when no flag says otherwise, derived from the recipe being calibrated
 * (docs/target-sparsity.md, "Calibration"): probes of the recipe's own batch shape and half its steps, at five λ_S from
 * a tenth to twice the recipe's λ_S, the middle one held out.
 *
 * <p>Why these: sparsity at a given λ keeps rising with the tokens trained, so probes much shorter or smaller than the
 * run under-predict its sparsity and the fitted λ_S overshoots. On tiny-llama with prosparse-tiny's table, probes of
 * 240 steps × 4 × 128 gave λ_S 37.8 for 90 % and the full run ended at 94.6 %; probes of the run's 8 × 256 and 600 of
 * its 1,200 steps gave λ_S 20.5 and 90.85 % (docs/results.md).
 */
public final class ProbeDefaults {
    /** The λ_S grid as multiples of the recipe's own λ_S (prosparse-tiny: 2, 5, 10, 20, 40). */
    static final double[] GRID = {0.1, 0.25, 0.5, 1, 2};
    /** Probe length as a fraction of the recipe's total steps. */
    static final double STEP_FRACTION = 0.5;
    /** The fewest probes a fit uses (the paper's law has three parameters). */
    public static final int MIN_FITTED = 3;

    private ProbeDefaults() {}

    /** Half the recipe's optimizer steps (at least 10, the shortest probe calibrate accepts). */
    public static int steps(Recipe recipe) {
        return Math.max(10, (int) Math.round(STEP_FRACTION * new L1Schedule(recipe.stages()).totalSteps()));
    }

    /** The recipe's λ_S (its last stage's l1_lambda) times 0.1, 0.25, 0.5, 1 and 2, to six significant digits. */
    public static List<Double> lambdas(Recipe recipe) {
        List<Stage> st = recipe.stages();
        double lambdaS = st.get(st.size() - 1).l1Lambda();
        return DoubleStream.of(GRID).map(f -> Double.parseDouble(Calibrator.num(f * lambdaS))).boxed().toList();
    }

    /** One probe held out, the middle one, when that leaves {@link #MIN_FITTED} for the fit; none otherwise. */
    public static List<Integer> heldOut(int probes) {
        return probes - 1 >= MIN_FITTED ? List.of(probes / 2) : List.of();
    }
}
