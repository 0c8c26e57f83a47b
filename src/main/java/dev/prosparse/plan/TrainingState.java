package dev.prosparse.plan;

import dev.prosparse.plan.MemoryPlan.Kind;
import dev.prosparse.plan.MemoryPlan.Place;
import dev.prosparse.plan.MemoryPlan.Row;
import dev.prosparse.plan.MemoryPlan.When;
import java.util.List;

/**
 * The training state rows of a {@link MemoryPlan}: what the trainer, its step and the optimizer allocate per parameter
 * (docs/memory-plan.md §State). One place to change when the step's allocations change.
 *
 * <ul>
 *   <li>fp32: the weights are trained in place; their gradients stay allocated between steps (libtorch keeps
 *       {@code .grad}); the gradient-norm pass squares every gradient into a new tensor that lives until the step's
 *       scope closes.</li>
 *   <li>fp16-mixed: float32 masters and moments for the whole run; per step, float16 copies and their float16 gradients,
 *       a float32 copy of each micro-batch's gradients added into a float32 sum — each added micro-batch leaves the
 *       old sum and its float32 copy alive until the step ends, so the sums cost 4 + 8·(k − 1) bytes per parameter —
 *       and the squares of the gradient-norm pass.</li>
 * </ul>
 * Sharding (ZeRO over N ranks): optimizer-side rows (masters, moments, float32 gradients and their squares) are divided
 * by N from stage 1, the compute-precision gradients from stage 2; the compute weights are never divided (stages ≤ 2).
 * Offload moves the optimizer-side rows to host memory.
 */
final class TrainingState {
    private TrainingState() {}

    /** How a row is sharded and placed. */
    private enum Side { WEIGHTS, GRADIENTS, OPTIMIZER }

    static void rows(ModelShape m, RunShape r, Place dev, List<Row> out) {
        long k = r.gradAccum();
        if (r.fp16Mixed()) {
            add(out, m, r, dev, Side.OPTIMIZER, When.ALWAYS, "fp32 master weights", 4);
            add(out, m, r, dev, Side.OPTIMIZER, When.ALWAYS, "AdamW moments m, v (fp32)", 8);
            add(out, m, r, dev, Side.WEIGHTS, When.STEP, "fp16 compute copies of the weights", 2);
            add(out, m, r, dev, Side.GRADIENTS, When.STEP, "fp16 gradients of the copies", 2);
            long sums = Sat.add(4, Sat.mul(8, k - 1));
            add(out, m, r, dev, Side.OPTIMIZER, When.STEP,
                    "fp32 gradient sums (+ a dead sum and copy per extra micro-batch)", sums, "(4 + 8·(k−1)) B, k=" + k);
            add(out, m, r, dev, Side.OPTIMIZER, When.STEP, "gradient-norm squares g² (fp32, until step end)", 4);
        } else {
            add(out, m, r, dev, Side.WEIGHTS, When.ALWAYS, "weights (fp32, trained in place)", 4);
            add(out, m, r, dev, Side.GRADIENTS, When.ALWAYS, "gradients (fp32, kept between steps)", 4);
            add(out, m, r, dev, Side.OPTIMIZER, When.ALWAYS, "AdamW moments m, v (fp32)", 8);
            add(out, m, r, dev, Side.GRADIENTS, When.STEP, "gradient-norm squares g² (fp32, until step end)", 4);
        }
        Place opt = r.offload() ? Place.HOST : dev;
        long largest = m.largestTensor();
        out.add(new Row(Kind.WORKSPACE, "AdamW update temporaries (per tensor, fp32)", "4 × 4 B × " + largest
                + " (largest tensor)", Sat.mul(16, largest), opt, When.STEP, false));
    }

    private static void add(List<Row> out, ModelShape m, RunShape r, Place dev, Side side, When when, String what,
            long bytesPerParam) {
        add(out, m, r, dev, side, when, what, bytesPerParam, bytesPerParam + " B");
    }

    private static void add(List<Row> out, ModelShape m, RunShape r, Place dev, Side side, When when, String what,
            long bytesPerParam, String perParam) {
        long p = m.parameters();
        int n = r.worldSize();
        boolean sharded = n > 1 && (side == Side.OPTIMIZER && r.zeroStage() >= 1 || side == Side.GRADIENTS && r.zeroStage() >= 2);
        long params = sharded ? (p + n - 1) / n : p;
        Place place = side == Side.OPTIMIZER && r.offload() ? Place.HOST : dev;
        String formula = perParam + " × P" + (sharded ? "/" + n : "");
        out.add(new Row(Kind.STATE, what, formula, Sat.mul(bytesPerParam, params), place, when, false));
    }
}
