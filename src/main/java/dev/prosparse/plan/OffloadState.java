package dev.prosparse.plan;

import dev.prosparse.plan.MemoryPlan.Kind;
import dev.prosparse.plan.MemoryPlan.Place;
import dev.prosparse.plan.MemoryPlan.Row;
import dev.prosparse.plan.MemoryPlan.When;
import java.util.List;

/**
 * Every row of optimizer offload ({@code optimizer.offload: cpu}, one device) in one place, so that a change to the
 * offloaded step changes this file only (docs/memory-plan.md §State, docs/gpu.md "Optimizer offload").
 * What it assumes of the step today:
 *
 * <ul>
 *   <li>Host, whole run: the float32 weights (the masters, in both precisions) and the AdamW moments, 12 B per
 *       parameter.</li>
 *   <li>Device, per step: compute copies of every weight (float16 under fp16-mixed, float32 under fp32) and their
 *       gradients, into which autograd sums the micro-batches in place. The copies are kept from one step to the next
 *       (the update writes their new values) but freed before every evaluation, so they never meet its copies.</li>
 *   <li>Device, per evaluation: float32 copies of the weights, 4 B per parameter, uploaded for the pass and freed after
 *       it (on the CPU the evaluation reads the host weights themselves). Measured on an H100 for 7B at one window:
 *       the evaluation's peak was 29,337 MiB against 28,677 MiB planned.</li>
 *   <li>Host, per step: the update runs as a pipeline over chunks ({@link #CHUNK} elements, a bigger tensor alone);
 *       at most {@link #IN_FLIGHT} chunks' host gradient copies (c bytes per element, page-locked from a GPU) exist at
 *       once, and the one-pass host kernel needs no other temporaries of that size. Those transient host blocks get
 *       the CPU's allocator slack ({@link MemoryPlan#SLACK_CPU}).</li>
 * </ul>
 */
final class OffloadState {
    private OffloadState() {}

    /** Elements per chunk of the offloaded update (AdamW's fused chunk; a tensor bigger than this is a chunk alone). */
    static final long CHUNK = 1L << 26;
    /** Chunks between their download and the end of their upload (optim/OffloadPipeline). */
    static final int IN_FLIGHT = 3;

    static void rows(ModelShape m, RunShape r, Place dev, List<Row> out) {
        long p = m.parameters();
        int c = r.computeBytes();
        String dtype = r.fp16Mixed() ? "fp16" : "fp32";
        TrainingState.row(out, "fp32 master weights", 4, " × P", p, Place.HOST, When.ALWAYS);
        TrainingState.row(out, "AdamW moments m, v (fp32)", 8, " × P", p, Place.HOST, When.ALWAYS);
        TrainingState.row(out, dtype + " compute copies of the weights", c, " × P", p, dev, When.STEP);
        TrainingState.row(out, dtype + " gradients of the copies (micro-batches summed in place)", c, " × P", p, dev,
                When.STEP);
        if (r.gpu()) {          // on the CPU the evaluation reads the host weights themselves
            TrainingState.row(out, "fp32 device copies of the weights for evaluation", 4, " × P", p, dev, When.EVAL);
        }
        long chunks = Math.min(IN_FLIGHT, (p + CHUNK - 1) / CHUNK);
        long update = Sat.mul(chunks * c, chunk(m));
        out.add(new Row(Kind.WORKSPACE, "offloaded update: host gradient copies of the chunks in flight",
                chunks + " × " + c + " B × " + chunk(m) + " (largest chunk)", update, Place.HOST, When.STEP, false));
        out.add(new Row(Kind.WORKSPACE, "offloaded update: allocator slack (freed blocks kept)",
                (int) (MemoryPlan.SLACK_CPU * 100) + "% of the update's host blocks", (long) (MemoryPlan.SLACK_CPU * update),
                Place.HOST, When.STEP, false));
    }

    /** Elements of the largest chunk: runs of up to {@link #CHUNK} elements, a bigger tensor alone, never more than P. */
    static long chunk(ModelShape m) {
        return Math.max(m.largestTensor(), Math.min(CHUNK, m.parameters()));
    }
}
