package dev.prosparse.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The text table of a {@link FfnBench.Report}: per row the median and spread, speed-up vs dense libtorch. */
public final class FfnBenchOutput {
    private FfnBenchOutput() {}

    public static String text(FfnBench.Report rep) {
        FfnBench.Request q = rep.request();
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "bench ffn: shape %s (hidden x intermediate), float32, predictor rank %d%n",
                q.shape(), q.rank()));
        sb.append("machine: ").append(rep.machine()).append('\n');
        sb.append("environment: ").append(rep.environment()).append('\n');
        sb.append(String.format(Locale.ROOT, "threads: %d (libtorch intra-op and row kernels)%n", rep.threads()));
        sb.append("row kernels: ").append(rep.kernels()).append('\n');
        sb.append("sparsity: ").append(q.sparsitySource()).append('\n');
        sb.append(String.format(Locale.ROOT, "timing: median of %d runs after %d warm-up (prefill: %d runs), spread = min..max;"
                + " decode variants interleaved (each run calls every variant once, in turn)%n", q.reps(), q.warmup(),
                Math.max(3, q.reps() / 2)));
        sb.append(String.format(Locale.ROOT, "%-8s %5s %7s  %-30s %7s %10s %19s %8s %9s %11s %11s%n",
                "phase", "layer", "sparse", "variant", "active", "median ms", "spread ms", "speedup", "rel.err", "cpu ms/call", "cpu speedup"));
        Map<String, double[]> totals = new LinkedHashMap<>(); // phase|variant → Σ median
        for (FfnBench.Row r : rep.rows()) {
            double dense = denseMedian(rep, r.phase(), r.layer());
            double med = r.timing().median();
            sb.append(String.format(Locale.ROOT, "%-8s %5d %6.1f%%  %-30s %7d %10.3f %8.3f..%-10.3f %7.2fx %9s %11.3f %11s%n",
                    r.phase(), r.layer(), 100 * r.sparsity(), r.variant(), r.active(), med, r.timing().min(),
                    r.timing().max(), dense / med, Double.isNaN(r.relErr()) ? "-" : String.format(Locale.ROOT, "%.1e", r.relErr()),
                    r.timing().cpuMeanMs(), ratio(denseCpu(rep, r.phase(), r.layer()), r.timing().cpuMeanMs())));
            totals.computeIfAbsent(r.phase() + "|" + r.variant(), k -> new double[1])[0] += med;
        }
        if (q.sparsity().length > 1) {
            sb.append("\nall layers (sum of medians):\n");
            for (Map.Entry<String, double[]> t : totals.entrySet()) {
                String phase = t.getKey().substring(0, t.getKey().indexOf('|'));
                double dense = totals.get(phase + "|dense (libtorch)")[0];
                sb.append(String.format(Locale.ROOT, "%-8s %-36s %10.3f ms %7.2fx%n", phase,
                        t.getKey().substring(phase.length() + 1), t.getValue()[0], dense / t.getValue()[0]));
            }
        }
        sb.append("speedup = median wall time of dense (libtorch) in the same run / the variant's; cpu speedup: the same for\n"
                + "the mean process CPU time per call (all threads of the JVM), the steadier figure when other processes share the cores.\n");
        return sb.toString();
    }

    static double denseCpu(FfnBench.Report rep, String phase, int layer) {
        for (FfnBench.Row r : rep.rows()) {
            if (r.phase().equals(phase) && r.layer() == layer && r.variant().equals("dense (libtorch)")) {
                return r.timing().cpuMeanMs();
            }
        }
        return Double.NaN;
    }

    static double denseMedian(FfnBench.Report rep, String phase, int layer) {
        List<FfnBench.Row> l = new ArrayList<>();
        for (FfnBench.Row r : rep.rows()) {
            if (r.phase().equals(phase) && r.layer() == layer && r.variant().equals("dense (libtorch)")) {
                l.add(r);
            }
        }
        return l.isEmpty() ? Double.NaN : l.get(0).timing().median();
    }

    /** {@code a / b} as "1.23x", or "-" where either time was not measured (NaN, or 0 from a clock too coarse). */
    static String ratio(double a, double b) {
        return a > 0 && b > 0 && Double.isFinite(a) && Double.isFinite(b) ? String.format(Locale.ROOT, "%.2fx", a / b) : "-";
    }
}
