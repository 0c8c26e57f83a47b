package dev.prosparse.train;

import dev.prosparse.ProsparseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The recipe key {@code l1}: steer λ towards a target sparsity instead of taking it from the stage table
 * ({@link TargetSparsityController}; docs/target-sparsity.md). Only {@code target_sparsity} is needed; every other
 * key has a default ({@link #DEFAULTS}).
 *
 * @param targetSparsity the fraction of x1 entries that should be zero at the end of the run, in (0, 1)
 * @param lambdaInit     λ at the first step after stage 0 (before any feedback)
 * @param lambdaMin      λ's floor (λ is steered in log space, so it never reaches 0)
 * @param lambdaMax      λ's cap; λ held there for {@code capPatience} steps is logged as a warning
 * @param kp             proportional gain: change of ln λ per unit of ln(density error)
 * @param ki             integral gain per step, same units
 * @param smoothing      steps of the exponential average of the measured training-batch sparsity
 * @param lookahead      the controller steers towards the target this many steps ahead (sparsity lags λ)
 * @param capPatience    steps at the cap (or at the floor above target) before a warning
 */
public record L1Control(double targetSparsity, double lambdaInit, double lambdaMin, double lambdaMax, double kp,
        double ki, int smoothing, int lookahead, int capPatience) {

    /** The keys under {@code l1:} a recipe may leave out, with their values. */
    static final Map<String, Object> DEFAULTS = defaults();

    private static Map<String, Object> defaults() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("lambda_init", 1.0);
        m.put("lambda_min", 1.0e-3);
        m.put("lambda_max", 1000.0);
        m.put("kp", 3.0);
        m.put("ki", 0.02);
        m.put("smoothing", 10);
        m.put("lookahead", 300);
        m.put("cap_patience", 100);
        return m;
    }

    /** The one-line rule for stage tables, quoted in errors and docs. */
    static final String TABLE_RULE = "with l1.target_sparsity the stage table's l1_lambda values only shape the target"
            + " (as fractions of the last stage's l1_lambda), so stage 1 must have l1_lambda 0, and the last stage's"
            + " l1_lambda must be > 0 and the table's largest";

    /** Checks the values and that the stage table can carry a target (see {@link #TABLE_RULE}). */
    void validate(String source, List<Stage> stages) {
        if (!(targetSparsity > 0 && targetSparsity < 1)) {
            throw ProsparseException.usage(source + ": key 'l1.target_sparsity' must be in (0, 1), for example 0.9"
                    + " (90% of x1 entries zero); got " + fmt(targetSparsity));
        }
        check(source, "lambda_min", lambdaMin > 0 && Double.isFinite(lambdaMin), "> 0, e.g. 1.0e-3");
        check(source, "lambda_max", lambdaMax >= lambdaMin && Double.isFinite(lambdaMax), "≥ l1.lambda_min, e.g. 1000");
        check(source, "lambda_init", lambdaInit >= lambdaMin && lambdaInit <= lambdaMax,
                "between l1.lambda_min and l1.lambda_max, e.g. 1.0");
        check(source, "kp", kp >= 0 && Double.isFinite(kp), "≥ 0, e.g. 3.0");
        check(source, "ki", ki >= 0 && Double.isFinite(ki), "≥ 0, e.g. 0.02");
        check(source, "smoothing", smoothing >= 1, "≥ 1 (steps), e.g. 10");
        check(source, "lookahead", lookahead >= 0, "≥ 0 (steps), e.g. 300");
        check(source, "cap_patience", capPatience >= 1, "≥ 1 (steps), e.g. 100");
        String problem = null;
        if (stages.size() < 2) {
            problem = "the table has one stage; add a first stage (l1_lambda 0) and at least one stage after it";
        } else if (stages.get(0).l1Lambda() != 0) {
            problem = "stage 1 (" + stages.get(0).name() + ") has l1_lambda " + fmt(stages.get(0).l1Lambda()) + ", not 0";
        } else {
            double last = stages.get(stages.size() - 1).l1Lambda();
            double max = stages.stream().mapToDouble(Stage::l1Lambda).max().orElse(0);
            if (last <= 0) {
                problem = "the last stage has l1_lambda 0, so the table asks for no L1 at the end";
            } else if (last < max) {
                problem = "the last stage's l1_lambda " + fmt(last) + " is below the table's largest " + fmt(max);
            }
        }
        if (problem != null) {
            throw ProsparseException.usage(source + ": key 'l1.target_sparsity' contradicts 'stages': " + problem + " ("
                    + TABLE_RULE + ")");
        }
    }

    private static void check(String source, String key, boolean ok, String expected) {
        if (!ok) {
            throw ProsparseException.usage(source + ": key 'l1." + key + "' must be " + expected);
        }
    }

    private static String fmt(double v) {
        return Double.isFinite(v) ? java.math.BigDecimal.valueOf(v).stripTrailingZeros().toPlainString() : String.valueOf(v);
    }
}
