package dev.prosparse.train;

import dev.prosparse.ProsparseException;
import java.util.List;

/**
 * The progressive L1 factor of ProSparse (docs/method.md §4, the paper's Algorithm 1). T_i is the global step
 * at which stage i ends (T_{-1} = 0); t is the global optimizer step, counted from 1.
 * <ul>
 *   <li>Stage 0 (activation substitution) and any {@code constant} stage: λ = λ_i.</li>
 *   <li>A {@code sine} stage i: r = (t − T_{i−1}) / (T_i − T_{i−1}), η = ½·(sin(−π/2 + π·r) + 1),
 *       λ = λ_{i−1} + η·(λ_i − λ_{i−1}), so λ reaches λ_i exactly at t = T_i.</li>
 * </ul>
 */
public final class L1Schedule {
    private final List<Stage> stages;
    private final int[] ends; // T_i

    public L1Schedule(List<Stage> stages) {
        if (stages.isEmpty()) {
            throw ProsparseException.usage("the recipe has no stages; add at least one under 'stages:'");
        }
        this.stages = List.copyOf(stages);
        this.ends = new int[stages.size()];
        long t = 0;
        for (int i = 0; i < stages.size(); i++) {
            Stage s = stages.get(i);
            if (s.steps() <= 0) {
                throw ProsparseException.usage("stage " + (i + 1) + " (" + s.name() + "): steps must be ≥ 1, got " + s.steps());
            }
            if (!(s.l1Lambda() >= 0) || Double.isInfinite(s.l1Lambda())) {
                throw ProsparseException.usage("stage " + (i + 1) + " (" + s.name() + "): l1_lambda must be a finite number ≥ 0, got "
                        + s.l1Lambda());
            }
            t += s.steps();
            if (t > Integer.MAX_VALUE) {
                throw ProsparseException.usage("the recipe's stages add up to more than 2^31 steps");
            }
            ends[i] = (int) t;
        }
    }

    public int totalSteps() {
        return ends[ends.length - 1];
    }

    public List<Stage> stages() {
        return stages;
    }

    /** T_i: the global step at which stage i ends. */
    public int end(int stage) {
        return ends[stage];
    }

    /** T_{i−1}: the global step before stage i's first step. */
    public int start(int stage) {
        return stage == 0 ? 0 : ends[stage - 1];
    }

    /** The stage that global step t (1-based) belongs to. */
    public int stageAt(int t) {
        if (t < 1 || t > totalSteps()) {
            throw new IllegalArgumentException("step " + t + " outside 1.." + totalSteps());
        }
        for (int i = 0; i < ends.length; i++) {
            if (t <= ends[i]) {
                return i;
            }
        }
        throw new AssertionError();
    }

    /** λ(t) for global step t (1-based). */
    public double lambda(int t) {
        int i = stageAt(t);
        Stage s = stages.get(i);
        if (i == 0 || s.ramp() == Stage.Ramp.CONSTANT) {
            return s.l1Lambda();
        }
        double prev = stages.get(i - 1).l1Lambda();
        double r = (double) (t - start(i)) / (end(i) - start(i));
        double eta = 0.5 * (Math.sin(-Math.PI / 2 + Math.PI * r) + 1);
        return prev + eta * (s.l1Lambda() - prev);
    }
}
