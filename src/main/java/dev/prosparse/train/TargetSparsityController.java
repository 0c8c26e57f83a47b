package dev.prosparse.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.ProsparseException;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * λ steered towards a target sparsity (recipe key {@code l1}; docs/target-sparsity.md).
 *
 * <p>The target: stage 0 has none and λ = 0; the controller averages the measured training-batch sparsity there, and
 * the stage-0 level s0 is that average when stage 0 ends. After stage 0 the target follows the stage table's shape:
 * target(t) = s0 + f(t)·(T − s0), with f(t) = λ_table(t) / λ_table(last stage) (so the same half-sine ramps and holds,
 * ending at T).
 *
 * <p>The loop: PI control of u = ln λ on the error e = ln(1 − ŝ) − ln(1 − target(t + lookahead)), where ŝ is an
 * exponential average of the training-batch sparsity. Working in log density makes the loop gain nearly the same at
 * 60 % and at 95 % (density falls roughly as a power of λ), and log λ keeps λ positive. u = I + kp·e, I += ki·e;
 * anti-windup: I is clamped to [ln λ_min, ln λ_max], so it never winds past the cap and λ leaves a limit as soon as
 * the error changes sign. Sparsity lags λ
 * by tens of steps, so the error is taken against the target {@code lookahead} steps ahead.
 *
 * <p>All state is plain doubles and counters, written to and read from trainer_state.json, so a resumed run continues
 * with exactly the same λ sequence.
 */
public final class TargetSparsityController implements LambdaPolicy {
    private static final Logger LOG = LoggerFactory.getLogger(TargetSparsityController.class);
    static final String STATE_KEY = "lambda_controller";
    private static final double MIN_DENSITY = 1e-4;

    private final L1Schedule schedule;
    private final L1Control c;
    private final double peak;      // the last stage's l1_lambda: the table's λ as a fraction of it shapes the target
    private final double uMin, uMax;

    // ---- state (saved and restored) ----
    private int observed;           // the last step observed (0: none)
    private double avg = Double.NaN;    // exponential average of the training-batch sparsity
    private double s0 = Double.NaN;     // the stage-0 level, fixed when stage 0 ends
    private double integral;        // I, in ln λ
    private double u;               // ln λ for the next step
    private int atCap, atFloor;     // consecutive steps with λ at its cap (below target) / at its floor (above target)

    public TargetSparsityController(L1Schedule schedule, L1Control control) {
        this.schedule = schedule;
        this.c = control;
        this.peak = schedule.stages().get(schedule.stages().size() - 1).l1Lambda();
        this.uMin = Math.log(control.lambdaMin());
        this.uMax = Math.log(control.lambdaMax());
        this.integral = Math.log(control.lambdaInit());
        this.u = integral;
    }

    /** A one-line description for the start of a run's log. */
    public String describe() {
        return String.format(Locale.ROOT, "λ from a target-sparsity controller: target %.2f%% at step %d, following the"
                + " stage table's shape after stage 1 (%d steps, no L1); λ starts at %s, within [%s, %s]; kp %s, ki %s,"
                + " lookahead %d steps", 100 * c.targetSparsity(), schedule.totalSteps(), schedule.end(0), c.lambdaInit(),
                c.lambdaMin(), c.lambdaMax(), c.kp(), c.ki(), c.lookahead());
    }

    @Override
    public double lambda(int t) {
        return schedule.stageAt(t) == 0 ? 0.0 : Math.min(c.lambdaMax(), Math.max(c.lambdaMin(), Math.exp(u)));
    }

    /** The target sparsity at step t; NaN in stage 0 or while s0 is unknown. */
    public double target(int t) {
        int step = Math.min(Math.max(t, 1), schedule.totalSteps());
        if (schedule.stageAt(step) == 0 || Double.isNaN(s0)) {
            return Double.NaN;
        }
        double f = schedule.lambda(step) / peak;
        return s0 + f * (c.targetSparsity() - s0);
    }

    @Override
    public void observe(int t, double zeroFraction) {
        if (t != observed + 1) {
            throw new IllegalStateException("controller observed step " + t + " after step " + observed);
        }
        double lambdaUsed = lambda(t);
        observed = t;
        double z = Double.isFinite(zeroFraction) ? zeroFraction : (Double.isNaN(avg) ? 0 : avg);
        avg = Double.isNaN(avg) ? z : avg + (z - avg) / c.smoothing();
        if (t >= schedule.totalSteps()) {
            return;
        }
        int next = t + 1;
        if (schedule.stageAt(next) == 0) {
            return;
        }
        if (Double.isNaN(s0)) {
            s0 = avg;
            LOG.info(String.format(Locale.ROOT, "stage 1 ended at %.2f%% training-batch sparsity; the target ramps from there"
                    + " to %.2f%%", 100 * s0, 100 * c.targetSparsity()));
        }
        if (schedule.stageAt(t) == 0) {
            return;  // the first L1 step runs at λ_init: the first feedback comes after it
        }
        double goal = target(next + c.lookahead());
        double e = Math.log(Math.max(1 - avg, MIN_DENSITY)) - Math.log(Math.max(1 - goal, MIN_DENSITY));
        integral = Math.min(uMax, Math.max(uMin, integral + c.ki() * e));  // anti-windup: I never passes the limits
        u = Math.min(uMax, Math.max(uMin, integral + c.kp() * e));
        watchLimits(t, lambdaUsed, goal);
    }

    private void watchLimits(int t, double lambdaUsed, double goal) {
        boolean capped = lambdaUsed >= c.lambdaMax() * (1 - 1e-9) && avg < goal;
        boolean floored = lambdaUsed <= c.lambdaMin() * (1 + 1e-9) && avg > goal;
        atCap = capped ? atCap + 1 : 0;
        atFloor = floored ? atFloor + 1 : 0;
        if (atCap > 0 && atCap % c.capPatience() == 0) {
            LOG.warn(String.format(Locale.ROOT, "step %d: λ has been at its cap l1.lambda_max=%s for %d steps and sparsity"
                    + " is %.2f%%, below the target %.2f%%: the target may be out of reach; raise l1.lambda_max or lower"
                    + " l1.target_sparsity", t, c.lambdaMax(), atCap, 100 * avg, 100 * goal));
        }
        if (atFloor > 0 && atFloor % c.capPatience() == 0) {
            LOG.warn(String.format(Locale.ROOT, "step %d: λ has been at its floor l1.lambda_min=%s for %d steps and sparsity"
                    + " is %.2f%%, above the target %.2f%%: the model is sparser than the target without L1", t,
                    c.lambdaMin(), atFloor, 100 * avg, 100 * goal));
        }
    }

    /** Steps λ has been at its cap while below target (for tests and reports). */
    int stepsAtCap() {
        return atCap;
    }

    @Override
    public void describe(int t, ObjectNode metrics) {
        double target = target(t);
        if (!Double.isNaN(target)) {
            metrics.put("target_sparsity", target);
        }
        if (!Double.isNaN(avg)) {
            metrics.put("measured_sparsity", avg);
        }
    }

    @Override
    public void saveState(ObjectNode state) {
        ObjectNode o = state.putObject(STATE_KEY);
        o.put("observed", observed);
        putDouble(o, "average_sparsity", avg);
        putDouble(o, "stage0_sparsity", s0);
        o.put("integral", integral);
        o.put("log_lambda", u);
        o.put("steps_at_cap", atCap);
        o.put("steps_at_floor", atFloor);
    }

    @Override
    public void restoreState(JsonNode state) {
        JsonNode o = state.get(STATE_KEY);
        if (o == null || !o.isObject()) {
            throw ProsparseException.usage("trainer_state.json has no '" + STATE_KEY + "' although the run's recipe sets"
                    + " l1.target_sparsity; it was not written by this recipe: start a new run instead of --resume");
        }
        observed = o.path("observed").asInt();
        avg = getDouble(o, "average_sparsity");
        s0 = getDouble(o, "stage0_sparsity");
        integral = o.path("integral").asDouble();
        u = o.path("log_lambda").asDouble();
        atCap = o.path("steps_at_cap").asInt();
        atFloor = o.path("steps_at_floor").asInt();
    }

    private static void putDouble(ObjectNode o, String key, double v) {
        if (Double.isNaN(v)) {
            o.putNull(key);
        } else {
            o.put(key, v);
        }
    }

    private static double getDouble(JsonNode o, String key) {
        JsonNode v = o.get(key);
        return v == null || v.isNull() ? Double.NaN : v.asDouble();
    }
}
