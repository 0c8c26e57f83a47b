package dev.prosparse.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.util.Json;
import java.util.Locale;

/**
 * How far a run with a sparsity target ({@code l1.target_sparsity}) ended from it: the trained model's evaluation
 * sparsity (before any FATReLU shift) against the target. More than {@link #TOLERANCE_POINTS} away either way is a
 * miss (docs/target-sparsity.md, "Did the run reach its target?"). Said in the run's last lines, in
 * {@code final_report.json} under {@code target}, and in {@code summary.md}.
 *
 * @param target   the target, a fraction in (0, 1)
 * @param achieved the trained model's evaluation sparsity, a fraction
 */
public record TargetOutcome(double target, double achieved) {
    /** The largest distance from the target, in percentage points, that still counts as reached. */
    public static final double TOLERANCE_POINTS = 1.0;

    /** achieved − target, in percentage points (negative: below the target). */
    public double distancePoints() {
        return 100 * (achieved - target);
    }

    public boolean missed() {
        return !(Math.abs(distancePoints()) <= TOLERANCE_POINTS);
    }

    /** The {@code target} object of final_report.json. */
    public ObjectNode json() {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("sparsity", target);
        o.put("achieved", achieved);
        o.put("distance_points", distancePoints());
        o.put("tolerance_points", TOLERANCE_POINTS);
        o.put("missed", missed());
        return o;
    }

    /** The outcome read back from a final_report.json's {@code target} object; null when there is none. */
    public static TargetOutcome of(JsonNode target) {
        if (target == null || !target.path("sparsity").isNumber() || !target.path("achieved").isNumber()) {
            return null;
        }
        return new TargetOutcome(target.get("sparsity").asDouble(), target.get("achieved").asDouble());
    }

    /** One sentence: the target, where the run ended, the distance, and whether that is a miss. */
    public String sentence() {
        double d = distancePoints();
        String where = String.format(Locale.ROOT, "the trained model ended at %.2f%%, %.2f points %s it", 100 * achieved,
                Math.abs(d), d < 0 ? "below" : "above");
        if (!missed()) {
            return String.format(Locale.ROOT, "Target sparsity %.2f%% reached: %s (within the %s-point tolerance)",
                    100 * target, where, num(TOLERANCE_POINTS));
        }
        return String.format(Locale.ROOT, "Target sparsity %.2f%% MISSED: %s (more than the %s-point tolerance); %s",
                100 * target, where, num(TOLERANCE_POINTS), d < 0
                        ? "train longer (the controller needs steps to get there) or raise l1.lambda_max if λ sat at its cap"
                        : "the model is sparser than asked even at low λ; lower l1.lambda_min if λ sat at its floor");
    }

    private static String num(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
