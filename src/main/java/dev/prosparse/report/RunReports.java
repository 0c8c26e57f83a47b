package dev.prosparse.report;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.report.TrainingMetrics.Eval;
import dev.prosparse.report.TrainingMetrics.Stage;
import dev.prosparse.report.TrainingMetrics.Train;
import dev.prosparse.util.AtomicFiles;
import dev.prosparse.util.Errors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The training report of a run folder: charts of loss, perplexity, λ and sparsity against the step with
 * the stage boundaries marked, and a Markdown summary of each stage's end. Written into
 * {@code <run>/reports/} by {@code report training} and by the trainer at the end of every stage.
 *
 * <pre>
 * reports/summary.md                  stage ends, final result, per-layer sparsity, links to the charts
 * reports/overview.png                the four charts below on one image
 * reports/{loss,perplexity,lambda,sparsity,sparsity-layers}.{png,svg}
 * </pre>
 */
public final class RunReports {
    private static final Logger LOG = LoggerFactory.getLogger(RunReports.class);
    public static final String DIR = "reports";
    public static final String SUMMARY = "summary.md";
    public static final List<String> CHARTS = List.of("loss", "perplexity", "lambda", "sparsity", "sparsity-layers");

    private RunReports() {}

    /**
     * For the trainer: writes {@code runDir/reports/} from {@code runDir/metrics.jsonl} (+ recipe.yaml and
     * final_report.json when present). Never throws: a report that cannot be written must not end a
     * training run, so failures are logged as warnings.
     */
    public static void write(Path runDir) {
        try {
            List<Path> files = writeTo(runDir, runDir.resolve(DIR));
            LOG.info("Training report: {} ({} files)", runDir.resolve(DIR).resolve(SUMMARY), files.size());
        } catch (RuntimeException | LinkageError e) {
            LOG.warn("Could not write the training report of {}: {}", runDir, e.getMessage());
            LOG.debug("report failure", e);
        }
    }

    /** Writes the report of {@code runDir} into {@code outDir}; returns the files written. Throws on errors. */
    public static List<Path> writeTo(Path runDir, Path outDir) {
        TrainingMetrics m = TrainingMetrics.read(runDir);
        try {
            Files.createDirectories(outDir);
        } catch (IOException e) {
            throw ProsparseException.io("Cannot create " + outDir + ": " + Errors.describe(e), e);
        }
        List<Path> out = new ArrayList<>();
        List<Charts.Line> charts = charts(m);
        for (int i = 0; i < charts.size(); i++) {
            out.addAll(Charts.write(charts.get(i), outDir, CHARTS.get(i)));
        }
        Path overview = outDir.resolve("overview.png");
        AtomicFiles.writeBytes(overview, Charts.pngGrid(charts.subList(0, 4), 2));
        out.add(overview);
        Path summary = outDir.resolve(SUMMARY);
        AtomicFiles.writeString(summary, summary(m));
        out.add(summary);
        return out;
    }

    // ---- charts -----------------------------------------------------------------------------------

    static List<Charts.Line> charts(TrainingMetrics m) {
        List<Charts.Region> regions = regions(m);
        List<Train> tr = m.train();
        List<Eval> ev = m.evals();
        double[] ts = col(tr, Train::step), es = col(ev, Eval::step);
        String run = m.name();

        List<Charts.Series> loss = new ArrayList<>();
        loss.add(Charts.Series.of("train CE", ts, col(tr, Train::lmLoss)));
        loss.add(Charts.Series.of("eval CE", es, col(ev, Eval::loss)).withMarkers());
        loss.add(Charts.Series.of("train loss (CE + λ·L1)", ts, col(tr, Train::loss)).thin());

        double[] ppl = col(ev, Eval::perplexity);
        double[] trainPpl = col(tr, t -> Math.exp(t.lmLoss()));
        boolean logPpl = spread(ppl, trainPpl) > 4;
        List<Charts.Series> perplexity = List.of(
                Charts.Series.of("eval", es, ppl).withMarkers(),
                Charts.Series.of("train (exp of train CE)", ts, trainPpl).thin());

        double[] lr = col(tr, Train::lr);
        int lrExp = lrExponent(lr);
        double lrScale = Math.pow(10, -lrExp);
        List<Charts.Series> lambda = List.of(
                Charts.Series.of("λ", ts, col(tr, Train::lambda)),
                Charts.Series.of("learning rate (right)", ts, col(tr, t -> t.lr() * lrScale)).thin().right());
        String lrTitle = lrExp == 0 ? "learning rate" : "learning rate (×1e" + lrExp + ")";

        List<Charts.Series> sparsity = new ArrayList<>(List.of(
                Charts.Series.of("eval", es, col(ev, e -> 100 * e.zeroFraction())).withMarkers(),
                Charts.Series.of("train batches", ts, col(tr, t -> 100 * t.zeroFraction())).thin()));
        List<Train> targeted = tr.stream().filter(t -> !Double.isNaN(t.targetSparsity())).toList();
        if (!targeted.isEmpty()) {
            sparsity.add(Charts.Series.of("target (controller)", col(targeted, Train::step),
                    col(targeted, t -> 100 * t.targetSparsity())));
        }

        int layers = ev.stream().mapToInt(e -> e.layerZeroFraction().length).max().orElse(0);
        List<Charts.Series> perLayer = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            final int layer = l;
            List<Eval> has = ev.stream().filter(e -> e.layerZeroFraction().length > layer).toList();
            perLayer.add(Charts.Series.of("layer " + l, col(has, Eval::step),
                    col(has, e -> 100 * e.layerZeroFraction()[layer])).withMarkers());
        }

        return List.of(
                new Charts.Line("Loss: " + run, "step", "cross-entropy (nats/token)", null, loss, regions, false,
                        null, null, true),
                new Charts.Line("Perplexity: " + run, "step", "perplexity" + (logPpl ? " (log scale)" : ""), null,
                        perplexity, regions, logPpl, null, null, true),
                new Charts.Line("L1 coefficient λ and learning rate: " + run, "step", "λ", lrTitle, lambda,
                        regions, false, null, null, true),
                new Charts.Line("Activation sparsity: " + run, "step", "zero fraction of x1 (%)", null, sparsity,
                        regions, false, null, null, true),
                new Charts.Line("Sparsity per layer (eval): " + run, "step", "zero fraction of x1 (%)", null,
                        perLayer, regions, false, null, null, layers <= 16));
    }

    /** The stages that have begun, the current one cut at the last step logged. */
    static List<Charts.Region> regions(TrainingMetrics m) {
        List<Charts.Region> out = new ArrayList<>();
        int last = Math.max(m.lastStep(), 1);
        for (Stage s : m.stages()) {
            if (s.start() >= last && !out.isEmpty()) {
                break;
            }
            out.add(new Charts.Region(s.start(), m.finished() ? s.end() : Math.min(s.end(), Math.max(last, s.start() + 1)),
                    s.name()));
        }
        return out;
    }

    /** The power of ten that brings the largest learning rate into [1, 10) (−4 for 5e-4), 0 if none. */
    static int lrExponent(double[] lr) {
        double max = 0;
        for (double v : lr) {
            max = Double.isFinite(v) ? Math.max(max, Math.abs(v)) : max;
        }
        return max > 0 && max < 0.1 ? (int) Math.floor(Math.log10(max)) : 0;
    }

    private static <T> double[] col(List<T> rows, ToDoubleFunction<T> f) {
        double[] d = new double[rows.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = f.applyAsDouble(rows.get(i));
        }
        return d;
    }

    private static double spread(double[]... arrays) {
        double lo = Double.POSITIVE_INFINITY, hi = 0;
        for (double[] a : arrays) {
            for (double v : a) {
                if (Double.isFinite(v) && v > 0) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        return hi > 0 ? hi / lo : 1;
    }

    // ---- summary ------------------------------------------------------------------------------------

    static String summary(TrainingMetrics m) {
        StringBuilder b = new StringBuilder();
        JsonNode r = m.recipe();
        b.append("# Training report: `").append(m.name()).append("`\n\n");
        if (r != null) {
            b.append("Model `").append(r.path("model").asText("?")).append("`, activation **")
                    .append(r.path("activation").asText("?")).append("**");
            if (r.hasNonNull("final_threshold")) {
                b.append(", final FATReLU threshold ").append(r.get("final_threshold").asText());
            }
            b.append(String.format(Locale.ROOT, "; %d stages, %,d steps (recipe.yaml).%n", m.stages().size(), m.totalSteps()));
        }
        b.append(String.format(Locale.ROOT, "Metrics up to step %,d: %s.%n%n", m.lastStep(),
                m.finished() ? "finished" : "in progress"));

        Eval before = m.evals().stream().filter(e -> e.step() == 0).findFirst().orElse(null);
        if (before != null) {
            b.append(String.format(Locale.ROOT, "Before training (step 0): loss %.4f, perplexity %.3f, sparsity %.2f%%.%n%n",
                    before.loss(), before.perplexity(), 100 * before.zeroFraction()));
        }

        b.append("## Stage ends\n\n");
        b.append("Train columns are the last logged training step of the stage; eval columns the evaluation at its end.\n\n");
        b.append("| # | stage | steps | ramp | end step | λ | train loss | train CE | eval CE | perplexity | sparsity |\n");
        b.append("|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
        for (Stage s : m.stages()) {
            boolean begun = m.lastStep() > s.start();
            boolean done = m.lastStep() >= s.end();
            Train t = m.trainAt(s.start(), s.end());
            Eval e = m.evalAt(s.start(), s.end());
            int endStep = done ? s.end() : Math.max(t == null ? 0 : t.step(), e == null ? 0 : e.step());
            b.append("| ").append(s.index() + 1).append(" | ").append(s.name()).append(" | ")
                    .append(s.start() + 1).append("–").append(s.end()).append(" | ").append(s.ramp().isEmpty() ? "" : s.ramp())
                    .append(" | ").append(!begun ? "not started" : done ? String.valueOf(endStep) : endStep + " (running)")
                    .append(" | ").append(t == null ? fmtLambda(s.l1Lambda()) : fmtLambda(t.lambda()))
                    .append(" | ").append(t == null ? "" : f4(t.loss()))
                    .append(" | ").append(t == null ? "" : f4(t.lmLoss()))
                    .append(" | ").append(e == null ? "" : f4(e.loss()) + (e.step() != endStep ? " (step " + e.step() + ")" : ""))
                    .append(" | ").append(e == null ? "" : String.format(Locale.ROOT, "%.3f", e.perplexity()))
                    .append(" | ").append(e == null ? "" : pct(e.zeroFraction()))
                    .append(" |\n");
        }
        b.append('\n');

        JsonNode fin = m.fin();
        if (fin != null) {
            b.append("## Result\n\n| | activation | loss | perplexity | sparsity |\n|---|---|---:|---:|---:|\n");
            if (before != null) {
                b.append(String.format(Locale.ROOT, "| before training | %s | %.4f | %.3f | %s |%n",
                        r == null ? "" : r.path("activation").asText(""), before.loss(), before.perplexity(),
                        pct(before.zeroFraction())));
            }
            for (String key : List.of("trained", "final")) {
                JsonNode n = fin.path(key);
                if (n.isObject()) {
                    String act = n.path("activation").asText("") + (n.hasNonNull("activation_param")
                            ? " " + n.get("activation_param").asText() : "");
                    b.append(String.format(Locale.ROOT, "| %s | %s | %.4f | %.3f | %s |%n",
                            key.equals("trained") ? "trained (step " + fin.path("steps").asInt(m.lastStep()) + ")"
                                    : "final checkpoint (`final/`)",
                            act, n.path("loss").asDouble(Double.NaN), n.path("perplexity").asDouble(Double.NaN),
                            pct(n.path("zero_fraction").asDouble(Double.NaN))));
                }
            }
            b.append('\n');
            TargetOutcome target = TargetOutcome.of(fin.get("target"));
            if (target != null) {
                b.append(target.missed() ? "**" + target.sentence() + ".**" : target.sentence() + ".").append("\n\n");
            }
        }

        List<String> heads = new ArrayList<>();
        List<double[]> cols = new ArrayList<>();
        if (before != null && before.layerZeroFraction().length > 0) {
            heads.add("before training");
            cols.add(before.layerZeroFraction());
        }
        if (fin != null) {
            for (String key : List.of("trained", "final")) {
                JsonNode a = fin.path(key).path("layer_zero_fraction");
                if (a.isArray() && a.size() > 0) {
                    double[] d = new double[a.size()];
                    for (int i = 0; i < d.length; i++) {
                        d[i] = a.get(i).asDouble();
                    }
                    heads.add(key.equals("trained") ? "trained" : "final checkpoint");
                    cols.add(d);
                }
            }
        } else if (!m.evals().isEmpty() && m.evals().get(m.evals().size() - 1).step() > 0) {
            Eval last = m.evals().get(m.evals().size() - 1);
            heads.add("step " + last.step());
            cols.add(last.layerZeroFraction());
        }
        if (!cols.isEmpty()) {
            int layers = cols.stream().mapToInt(c -> c.length).max().orElse(0);
            b.append("## Sparsity per layer\n\n| layer |");
            heads.forEach(h -> b.append(' ').append(h).append(" |"));
            b.append("\n|---:|").append("---:|".repeat(heads.size())).append('\n');
            for (int l = 0; l < layers; l++) {
                b.append("| ").append(l).append(" |");
                for (double[] c : cols) {
                    b.append(' ').append(l < c.length ? pct(c[l]) : "").append(" |");
                }
                b.append('\n');
            }
            b.append('\n');
        }

        b.append("## Charts\n\nDashed lines mark the stage boundaries.\n\n![overview](overview.png)\n\n");
        for (String c : CHARTS) {
            b.append("- [").append(c).append(".png](").append(c).append(".png) · [svg](").append(c).append(".svg)\n");
        }
        return b.toString();
    }

    private static String f4(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.4f", v);
    }

    private static String pct(double v) {
        return Double.isNaN(v) ? "" : String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

    private static String fmtLambda(double v) {
        return Double.isNaN(v) ? "" : java.math.BigDecimal.valueOf(v).round(new java.math.MathContext(4))
                .stripTrailingZeros().toPlainString();
    }
}
