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
 *       {@code .grad}); the gradient norm squares one tensor at a time and frees it (16 B per parameter).</li>
 *   <li>fp16-mixed: float32 masters and moments for the whole run; per step, float16 copies and their float16
 *       gradients, into which libtorch sums the micro-batches in place; the update casts one tensor at a time to float32
 *       (16 B per parameter, whatever grad_accum is).</li>
 *   <li>Optimizer offload: {@link OffloadState}, every row of it.</li>
 *   <li>grad_accum &gt; 1: from the second micro-batch on, each gradient is computed afresh and added to the sum kept,
 *       so one tensor's fresh gradient exists next to the sums (the largest tensor's, in the gradients' dtype).</li>
 *   <li>Data parallel (world size &gt; 1, ZeRO-1): every rank keeps the full float32 weights (the all-gather writes
 *       into them) and, for its shard only, a float32 master copy and the moments; per step the rank holds its shard's
 *       mean gradient (float32, P/N). The reduce-scatter, the all-gather, the norm and the update run bucket by bucket
 *       ({@link #BUCKET} elements per collective), so no vector of P elements is made: a bucket of the reduce-scatter
 *       holds each rank's part (float32), their concatenation, and one part's casts and result: 8 B × bucket + 8 B ×
 *       part, the largest of the bucketed temporaries.</li>
 * </ul>
 */
final class TrainingState {
    /** Elements per call of the fused update (optim/AdamW's chunk). */
    static final long UPDATE_CHUNK = 1L << 26;

    private TrainingState() {}

    /** Elements of the flat vector per collective of ZeRO-1 (the sharded optimizer's default bucket). */
    static final long BUCKET = 1L << 25;

    static void rows(ModelShape m, RunShape r, Place dev, List<Row> out) {
        long p = m.parameters();
        int n = r.worldSize();
        long shard = (p + n - 1) / n;                       // a rank's shard (ZeRO-1 pads P to a multiple of N)
        String perRank = n > 1 ? " × P/" + n : " × P";
        if (r.offload()) {
            OffloadState.rows(m, r, dev, out);                // every offload row: one place to change
        } else if (r.fp16Mixed()) {
            if (n > 1) {
                row(out, "fp32 weights (full on every rank)", 4, " × P", p, dev, When.ALWAYS);
                row(out, "fp32 master weights (this rank's shard)", 4, perRank, shard, dev, When.ALWAYS);
            } else {
                row(out, "fp32 master weights", 4, " × P", p, dev, When.ALWAYS);
            }
            row(out, "AdamW moments m, v (fp32)", 8, perRank, shard, dev, When.ALWAYS);
            row(out, "fp16 compute copies of the weights", 2, " × P", p, dev, When.STEP);
            row(out, "fp16 gradients of the copies (micro-batches summed in place)", 2, " × P", p, dev, When.STEP);
        } else {
            row(out, "weights (fp32, trained in place)", 4, " × P", p, dev, When.ALWAYS);
            row(out, "gradients (fp32, kept between steps)", 4, " × P", p, dev, When.ALWAYS);
            if (n > 1) {
                row(out, "fp32 master weights (this rank's shard)", 4, perRank, shard, dev, When.ALWAYS);
            }
            row(out, "AdamW moments m, v (fp32)", 8, perRank, shard, dev, When.ALWAYS);
        }
        if (n > 1) {
            row(out, "gradient shard: the mean over ranks (fp32)", 4, perRank, shard, dev, When.STEP);
            long part = Math.max(1, Math.min(shard, BUCKET / n));         // a rank's part of one bucket
            out.add(new Row(Kind.WORKSPACE, "ZeRO-1 bucket temporaries (reduce-scatter: parts, their concatenation, one"
                    + " part's casts and result)", "8 B × " + n + " × " + part + " + 8 B × " + part,
                    Sat.add(Sat.mul(8, Sat.mul(n, part)), Sat.mul(8, part)), dev, When.STEP, false));
        }
        long largest = m.largestTensor();
        if (!r.offload() && r.gpu() && r.worldSize() == 1) {
            // the fused step on a GPU (optimizer.kernel auto): torch._fused_adamw_ in one pass over chunks of at most
            // 2^26 elements (a bigger tensor alone); its only temporaries are the fp32 casts of one chunk's fp16
            // gradients (fp32 gradients are used as they are): docs/gpu.md "Fused optimizer step"
            if (r.fp16Mixed()) {
                long chunk = Math.max(largest, Math.min(UPDATE_CHUNK, m.parameters()));
                out.add(new Row(Kind.WORKSPACE, "AdamW one-pass update: fp32 casts of one chunk's gradients",
                        "4 B × " + chunk + " (max(largest tensor, min(2^26, P)))", Sat.mul(4, chunk), dev, When.STEP, false));
            }
        } else if (!r.offload()) {
            out.add(new Row(Kind.WORKSPACE, "AdamW update temporaries (per tensor, fp32)", "4 × 4 B × " + largest
                    + " (largest tensor)", Sat.mul(16, largest), dev, When.STEP, false));
        }
        if (r.gradAccum() > 1) {
            // from the second micro-batch on, autograd computes each gradient afresh and then adds it to the one kept:
            // one tensor's new gradient (in the gradients' dtype) exists next to the sums
            int g = r.computeBytes();
            out.add(new Row(Kind.WORKSPACE, "a fresh gradient before its in-place sum (grad_accum > 1)", g + " B × " + largest
                    + " (largest tensor)", Sat.mul(g, largest), dev, When.STEP, false));
        }
    }

    static void row(List<Row> out, String what, long bytesPerElement, String perWhat, long elements, Place place,
            When when) {
        out.add(new Row(Kind.STATE, what, bytesPerElement + " B" + perWhat, Sat.mul(bytesPerElement, elements), place, when,
                false));
    }
}
