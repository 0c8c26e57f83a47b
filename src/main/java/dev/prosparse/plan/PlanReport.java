package dev.prosparse.plan;

import dev.prosparse.plan.MemoryPlan.Place;
import dev.prosparse.plan.MemoryPlan.Row;
import dev.prosparse.plan.MemoryPlan.When;
import dev.prosparse.util.ByteSize;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.UnaryOperator;

/**
 * A {@link MemoryPlan} set against a {@link Capacity}: whether it fits, the table {@code prosparse train --plan} prints,
 * and the knobs that would make it fit, each with its own planned peak.
 */
public final class PlanReport {
    private final MemoryPlan plan;
    private final Capacity cap;

    public PlanReport(MemoryPlan plan, Capacity cap) {
        this.plan = plan;
        this.cap = cap;
    }

    public MemoryPlan plan() {
        return plan;
    }

    /** Whether the device peak fits the device's free memory and the host peak the host's available (unknown figures pass). */
    public boolean fits() {
        return fits(plan);
    }

    /**
     * Whether the plan can fit at all: the device peak within the GPU's free memory, the host peak within the host's
     * total (its available memory changes from moment to moment as other processes come and go; a start over it is
     * warned about, not refused).
     */
    public boolean canFit() {
        boolean host = cap.hostTotal() < 0 || plan.peak(Place.HOST) <= cap.hostTotal();
        return host && devFits(plan);
    }

    private boolean fits(MemoryPlan p) {
        boolean host = cap.hostAvailable() < 0 || p.peak(Place.HOST) <= cap.hostAvailable();
        return host && devFits(p);
    }

    private boolean devFits(MemoryPlan p) {
        return !cap.isGpu() || cap.deviceFree() < 0 || p.peak(Place.DEVICE) <= cap.deviceFree();
    }

    /** The table: one line per row, the peaks next to the free memory, the verdict. */
    public String table() {
        StringBuilder b = new StringBuilder();
        RunShape r = plan.run();
        b.append("Memory plan for ").append(plan.model().source()).append(": ").append(plan.model().describe()).append('\n');
        b.append(String.format(Locale.ROOT, "run: batch_size %d × seq_len %d × grad_accum %d, %s, %s attention, %s%s%s, on %s%n",
                r.batchSize(), r.seqLen(), r.gradAccum(), r.fp16Mixed() ? "fp16-mixed" : "fp32", r.eager() ? "eager" : "sdpa",
                r.recompute() ? "layer recompute" : "no recompute", r.offload() ? ", optimizer offloaded to the host" : "",
                r.worldSize() > 1 ? ", " + r.worldSize() + " ranks ZeRO-" + r.zeroStage() : "", cap.device()));
        b.append(String.format(Locale.ROOT, "  %-6s %-6s %12s  %-60s %s%n", "where", "when", "bytes", "what", "formula"));
        for (Row row : plan.rows()) {
            b.append(String.format(Locale.ROOT, "  %-6s %-6s %12s  %-60s %s%n", place(row.place()),
                    row.when().name().toLowerCase(Locale.ROOT) + (row.alternative() ? "*" : ""), size(row.bytes()), row.what(),
                    row.formula()));
        }
        b.append("  (* phases that never overlap: only the largest of a part counts)\n");
        b.append(String.format(Locale.ROOT, "training state: %.1f bytes per parameter on the %s%s%n",
                plan.stateBytesPerParameter(cap.isGpu() ? Place.DEVICE : Place.HOST), cap.isGpu() ? "GPU" : "host",
                cap.isGpu() && plan.run().offload() ? String.format(Locale.ROOT, ", %.1f on the host",
                        plan.stateBytesPerParameter(Place.HOST)) : ""));
        if (cap.isGpu()) {
            b.append(peakLine("device peak", plan, Place.DEVICE, cap.deviceFree(), cap.device() + " free")).append('\n');
        }
        b.append(peakLine(cap.isGpu() ? "host peak" : "peak", plan, Place.HOST, cap.hostAvailable(), "host available")).append('\n');
        if (cap.isGpu() && cap.hostAvailable() < 0) {
            b.append("host memory not checked: give the GPU machine's with --host-memory (e.g. 126GiB)\n");
        }
        b.append(fits() ? "fits" : "does not fit").append('\n');
        if (!fits()) {
            b.append(knobs());
        }
        return b.toString();
    }

    /** The one-paragraph refusal of a start that cannot fit: the figures and the knobs. */
    public String refusal() {
        StringBuilder b = new StringBuilder("the run does not fit in memory: ");
        if (cap.isGpu() && cap.deviceFree() >= 0 && plan.peak(Place.DEVICE) > cap.deviceFree()) {
            b.append("planned ").append(size(plan.peak(Place.DEVICE))).append(" on ").append(cap.device()).append(", ")
                    .append(size(cap.deviceFree())).append(" free; ");
        }
        if (cap.hostAvailable() >= 0 && plan.peak(Place.HOST) > cap.hostAvailable()) {
            b.append("planned ").append(size(plan.peak(Place.HOST))).append(cap.isGpu() ? " of host memory, " : " of memory, ")
                    .append(size(cap.hostAvailable())).append(" available");
            if (cap.hostTotal() >= 0) {
                b.append(" of ").append(size(cap.hostTotal()));
            }
            b.append("; ");
        }
        b.append(String.format(Locale.ROOT, "%s with batch_size %d × seq_len %d × grad_accum %d. ", plan.model().describe(),
                plan.run().batchSize(), plan.run().seqLen(), plan.run().gradAccum()));
        b.append(knobs().strip().replace("\n", "; ").replace(":;", ":"));
        b.append(". `prosparse train --plan` with the same recipe prints the whole table (docs/memory-plan.md)");
        return b.toString();
    }

    /** "52.10 GB on cuda:0, 80.00 GB free" or "1.09 GB of host memory, 22.54 GB available". */
    public String peakSummary() {
        return cap.isGpu()
                ? size(plan.peak(Place.DEVICE)) + " on " + cap.device() + ", " + (cap.deviceFree() < 0 ? "?" : size(cap.deviceFree())) + " free"
                : size(plan.peak(Place.HOST)) + " of host memory, " + (cap.hostAvailable() < 0 ? "?" : size(cap.hostAvailable())) + " available";
    }

    /** What to change, each option with the peak it would plan. */
    public String knobs() {
        RunShape r = plan.run();
        List<String> lines = new ArrayList<>();
        if (!r.recompute()) {
            option(lines, "activation_checkpointing: true", RunShape::withRecompute);
        }
        if (r.eager()) {
            option(lines, "attention: sdpa", RunShape::withSdpa);
        }
        if (r.batchSize() > 1) {
            int half = r.batchSize() / 2;
            long accum = (long) r.gradAccum() * r.batchSize() / half;
            if (accum <= Integer.MAX_VALUE) {
                option(lines, "batch_size " + half + ", grad_accum " + accum + " (same tokens per step)",
                        s -> s.withBatch(half, (int) accum));
            }
        }
        if (r.gradAccum() > 1) {
            option(lines, "grad_accum 1 (fewer tokens per step)", s -> s.withBatch(s.batchSize(), 1));
        }
        if (r.seqLen() > 1) {
            option(lines, "seq_len " + r.seqLen() / 2, s -> s.withSeqLen(r.seqLen() / 2));
        }
        if (!r.fp16Mixed() && cap.isGpu()) {
            option(lines, "precision: fp16-mixed", RunShape::withFp16Mixed);
        }
        if (!r.offload() && cap.isGpu() && r.worldSize() == 1) {   // offload is planned for one device only
            option(lines, "optimizer.offload: cpu", RunShape::withOffload);
        }
        if (r.batchSize() > 1 || !r.recompute()) {
            option(lines, "batch_size 1 with activation_checkpointing: true", s -> s.withBatch(1, s.gradAccum()).withRecompute());
        }
        return "what to change (each alone; planned peak):\n" + String.join("\n", lines) + "\n";
    }

    private void option(List<String> lines, String what, UnaryOperator<RunShape> change) {
        MemoryPlan p = MemoryPlan.of(plan.model(), change.apply(plan.run()));
        String peak = cap.isGpu()
                ? size(p.peak(Place.DEVICE)) + " on the GPU, " + size(p.peak(Place.HOST)) + " host"
                : size(p.peak(Place.HOST));
        lines.add("  " + what + " → " + peak + (fits(p) ? " (fits)" : " (does not fit)"));
    }

    private String peakLine(String label, MemoryPlan p, Place place, long free, String freeLabel) {
        return String.format(Locale.ROOT, "%s: %s (always %s + max(step %s, evaluation %s)); %s: %s", label,
                size(p.peak(place)), size(p.part(place, When.ALWAYS)), size(p.part(place, When.STEP)),
                size(p.part(place, When.EVAL)), freeLabel, free < 0 ? "unknown" : size(free));
    }

    private String place(Place p) {
        return p == Place.DEVICE ? "gpu" : cap.isGpu() ? "host" : "cpu";
    }

    /** "13.48 GB"; sizes past 2⁶³ bytes (saturated) say so. */
    static String size(long bytes) {
        return Sat.saturated(bytes) ? ">9.2 EB (overflows)" : ByteSize.format(bytes);
    }
}
