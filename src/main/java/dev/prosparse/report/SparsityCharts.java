package dev.prosparse.report;

import dev.prosparse.sparsity.SparsityReport;
import dev.prosparse.sparsity.SparsityResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The chart specs of {@code report sparsity}: zero fraction per layer, and a threshold sweep's two curves. */
final class SparsityCharts {
    private SparsityCharts() {}

    /** Per-layer zero fraction (%), one bar series per report. */
    static Charts.Bars layers(SparsityOutput out) {
        List<SparsityReport> reports = out.reports();
        List<String> labels = ReportLabels.labels(reports);
        int layers = reports.stream().mapToInt(r -> r.result().layers()).max().orElse(0);
        List<String> cats = new ArrayList<>();
        for (int l = 0; l < layers; l++) {
            cats.add(String.valueOf(l));
        }
        List<double[]> values = new ArrayList<>();
        for (SparsityReport r : reports) {
            double[] v = new double[layers];
            for (int l = 0; l < layers; l++) {
                v[l] = l < r.result().layers() ? 100 * r.result().zeroFraction(l) : Double.NaN;   // no bar
            }
            values.add(v);
        }
        List<String> names = new ArrayList<>();
        for (int i = 0; i < reports.size(); i++) {
            SparsityResult res = reports.get(i).result();
            names.add(String.format(Locale.ROOT, "%s: %.1f%%, ppl %s", labels.get(i), 100 * res.zeroFraction(),
                    ReportLabels.ppl4(res.perplexity())));
        }
        SparsityReport first = reports.get(0);
        String title = out.single() ? "Activation sparsity per layer: " + labels.get(0) + ", " + ReportLabels.activation(first)
                : out.sweep() && ReportLabels.byModel(reports).size() == 1 ? "Activation sparsity per layer: "
                        + ReportLabels.modelNames(List.of(first.modelPath())).get(first.modelPath()) + ", "
                        + first.activation().hfName() + " thresholds"
                : "Activation sparsity per layer";
        return new Charts.Bars(title, "decoder layer", "zero fraction of x1 (%)", cats, names, values, 100.0);
    }

    /** Sparsity (left axis) and perplexity (right axis) against the threshold, one pair of lines per model. */
    static Charts.Line sweep(SparsityOutput out) {
        Map<String, List<SparsityReport>> byModel = ReportLabels.byModel(out.reports());
        Map<String, String> names = ReportLabels.modelNames(new ArrayList<>(byModel.keySet()));
        List<Charts.Series> series = new ArrayList<>();
        for (Map.Entry<String, List<SparsityReport>> e : byModel.entrySet()) {
            List<SparsityReport> rs = e.getValue();
            double[] x = new double[rs.size()], zf = new double[rs.size()], pp = new double[rs.size()];
            for (int i = 0; i < rs.size(); i++) {
                x[i] = rs.get(i).activationParam();
                zf[i] = 100 * rs.get(i).result().zeroFraction();
                pp[i] = rs.get(i).result().perplexity();
            }
            String n = byModel.size() > 1 ? names.get(e.getKey()) + ": " : "";
            series.add(Charts.Series.of(n + "sparsity (left)", x, zf).withMarkers());
            series.add(Charts.Series.of(n + "perplexity (right)", x, pp).withMarkers().right());
        }
        String act = out.reports().get(0).activation().hfName();
        String title = "Threshold sweep: sparsity and perplexity (" + act
                + (byModel.size() == 1 ? ", " + names.values().iterator().next() : "") + ")";
        return new Charts.Line(title, act + " threshold",
                "zero fraction of x1 (%)", "perplexity", series, List.of(), false, null, null, true);
    }
}
