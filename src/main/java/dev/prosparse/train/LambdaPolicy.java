package dev.prosparse.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Where the L1 factor λ of each optimizer step comes from: a fixed stage table ({@link ScheduledLambda}) or a
 * controller that steers λ towards a target sparsity. The trainer asks {@link #lambda} before step t, runs the
 * step, then reports the step's measured training-batch sparsity through {@link #observe}.
 *
 * <p>Resume must be bit-exact, so a policy with state writes all of it in {@link #saveState} (into
 * trainer_state.json) and reads it back in {@link #restoreState}.
 */
public interface LambdaPolicy {
    /** λ for global optimizer step t (1-based). */
    double lambda(int t);

    /** The fraction of x1 entries that were exactly zero in step t's training batches. */
    default void observe(int t, double zeroFraction) {}

    /** Extra fields for a metrics line of step t (for example the target sparsity); none by default. */
    default void describe(int t, ObjectNode metrics) {}

    /** Writes the policy's state into {@code state} (a trainer_state.json object). */
    default void saveState(ObjectNode state) {}

    /** Restores what {@link #saveState} wrote. */
    default void restoreState(JsonNode state) {}
}
