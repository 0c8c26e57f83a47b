package dev.prosparse.plan;

import java.util.ArrayList;
import java.util.List;

/**
 * The memory a training run needs, per device, row by row (docs/memory-plan.md gives each formula and the 7B figures).
 * It counts what the training code allocates today: state that lives for the whole run, state that lives only during an
 * optimizer step, the activations of one micro-batch, and the evaluation pass that runs between steps.
 *
 * <p>Peak of a place = Σ {@link When#ALWAYS} rows + max(step part, evaluation part), where a part is the sum of its
 * plain rows plus the largest of its {@code alternative} rows (phases of a step that never overlap: the logits'
 * backward pass and one layer's working set, for example).
 *
 * <p>P = parameters; N = data-parallel ranks; k = grad_accum; B, S = batch and seq_len, T = B·S tokens per micro-batch;
 * E, I, V, L, H, KV, D = hidden, intermediate, vocab, layers, heads, key/value heads, head_dim; c = 2 (fp16-mixed) or 4
 * bytes per compute element.
 */
public final class MemoryPlan {
    /** Windows per evaluation forward pass (the evaluator's batch). */
    public static final int EVAL_BATCH = 8;
    /**
     * CUDA context, loaded kernels, cuBLAS/cuDNN workspaces: 768 MiB. Measured on the H100: PyTorch's own out-of-memory
     * report put 0.73 GiB outside its allocator; an idle context shows 527 MiB in nvidia-smi (docs/memory-plan.md).
     */
    public static final long GPU_CONTEXT = 768L << 20;
    /**
     * The process itself: JVM heap in use, libtorch and tokenizer libraries. Measured: peak RSS 358,312 KiB (367 MB) for a
     * tiny-llama run at batch 1 × 16 on the CPU, of which the plan's other rows are about 17 MB (docs/memory-plan.md).
     */
    public static final long PROCESS_BASELINE = 340L << 20;
    /**
     * Freed blocks the allocator keeps (glibc malloc on the CPU, PyTorch's caching allocator on a GPU), as a fraction of a
     * step's activations and logits. CPU: 25%, from peak RSS over five tiny-llama runs (docs/memory-plan.md). GPU: 10%
     * without offload: on the H100 the 1.1B shape at 4 × 1024 and 2 × 4096 with recompute peaked 0–8% under the plan's
     * other rows plus 10% (nvidia-smi counts the caching allocator's reserved memory). GPU with optimizer offload:
     * 220%, fitted to the offloaded H100 runs (1.1B at 1 × 4096, 7B at grad_accum 1 and 16), which needed 220%, 144%
     * and 197% above the rest of the plan: the evaluation's float32 weight copies are freed before training and the
     * float16 copies, gradients and activations then split and re-split their blocks. With
     * PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True the 1.1B offloaded run peaked 15% lower (docs/memory-plan.md
     * §How good the figures are).
     */
    public static final double SLACK_CPU = 0.25, SLACK_GPU = 0.10, SLACK_GPU_OFFLOAD = 2.20;
    /**
     * A GPU process's host memory beyond the CPU-measured {@link #PROCESS_BASELINE}: the CUDA driver, libtorch's CUDA
     * libraries, cuBLAS. Measured: the 3.4B run on an H100 peaked 2.0 GiB above the idle host, of which the plan's other
     * host rows are 0.71 GiB (docs/memory-plan.md).
     */
    public static final long GPU_HOST_RUNTIME = 1280L << 20;

    public enum Place { DEVICE, HOST }

    /** When a row's memory is held: for the whole run, during an optimizer step, or during an evaluation pass. */
    public enum When { ALWAYS, STEP, EVAL }

    /**
     * @param alternative a phase of its part that never overlaps the part's other alternative rows: only the largest counts
     */
    public record Row(Kind kind, String what, String formula, long bytes, Place place, When when, boolean alternative) {}

    /** What a row counts: training state (per parameter), activations, logits and loss, or workspace. */
    public enum Kind { STATE, ACTIVATIONS, LOGITS, WORKSPACE }

    private final ModelShape model;
    private final RunShape run;
    private final List<Row> rows;

    private MemoryPlan(ModelShape model, RunShape run, List<Row> rows) {
        this.model = model;
        this.run = run;
        this.rows = List.copyOf(rows);
    }

    public ModelShape model() {
        return model;
    }

    public RunShape run() {
        return run;
    }

    public List<Row> rows() {
        return rows;
    }

    /** The plan of {@code run} on {@code model}. */
    public static MemoryPlan of(ModelShape model, RunShape run) {
        List<Row> rows = new ArrayList<>();
        Place dev = run.gpu() ? Place.DEVICE : Place.HOST;
        TrainingState.rows(model, run, dev, rows);
        Activations.rows(model, run, dev, rows);
        double slack = run.gpu() ? (run.offload() ? SLACK_GPU_OFFLOAD : SLACK_GPU) : SLACK_CPU;
        long acts = new MemoryPlan(model, run, rows.stream().filter(r -> r.kind() == Kind.ACTIVATIONS || r.kind() == Kind.LOGITS)
                .toList()).part(dev, When.STEP);
        rows.add(new Row(Kind.WORKSPACE, run.gpu() ? "allocator slack (reserved, not allocated)"
                : "allocator slack (freed blocks kept)", (int) (slack * 100) + "% of the step's activations",
                Sat.saturated(acts) ? acts : (long) (slack * acts), dev, When.STEP, false));
        if (run.gpu()) {
            rows.add(new Row(Kind.WORKSPACE, "CUDA context, kernels, cuBLAS workspace", "768 MiB (measured 0.73 GiB)", GPU_CONTEXT, Place.DEVICE,
                    When.ALWAYS, false));
            rows.add(new Row(Kind.WORKSPACE, "process: CUDA driver and libraries in host memory", "measured 1.25 GiB",
                    GPU_HOST_RUNTIME, Place.HOST, When.ALWAYS, false));
        }
        rows.add(new Row(Kind.WORKSPACE, "process: JVM, libtorch, tokenizer", "measured 340 MiB", PROCESS_BASELINE, Place.HOST, When.ALWAYS, false));
        rows.add(new Row(Kind.WORKSPACE, "weight loading buffer (largest tensor as float[])", "4 × " + model.largestTensor(),
                Sat.mul(4, model.largestTensor()), Place.HOST, When.ALWAYS, false));
        return new MemoryPlan(model, run, rows);
    }

    /** The peak of {@code place}: what is always held plus the larger of the step and the evaluation pass. */
    public long peak(Place place) {
        return Sat.add(part(place, When.ALWAYS), Math.max(part(place, When.STEP), part(place, When.EVAL)));
    }

    /** Σ plain rows + the largest alternative row of one part. */
    public long part(Place place, When when) {
        long sum = 0, alt = 0;
        for (Row r : rows) {
            if (r.place() == place && r.when() == when) {
                if (r.alternative()) {
                    alt = Math.max(alt, r.bytes());
                } else {
                    sum = Sat.add(sum, r.bytes());
                }
            }
        }
        return Sat.add(sum, alt);
    }

    /**
     * Bytes of training state per parameter on {@code place} during a step (the rows of {@link TrainingState} held for the
     * run or the step; not the evaluation's weight copies under offload).
     */
    public double stateBytesPerParameter(Place place) {
        long sum = 0;
        for (Row r : rows) {
            if (r.place() == place && r.kind() == Kind.STATE && r.when() != When.EVAL) {
                sum = Sat.add(sum, r.bytes());
            }
        }
        return sum / (double) model.parameters();
    }
}
