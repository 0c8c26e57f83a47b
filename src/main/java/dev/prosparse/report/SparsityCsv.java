package dev.prosparse.report;

import dev.prosparse.sparsity.SparsityReport;
import dev.prosparse.sparsity.SparsityResult;
import java.util.List;

/** The CSV form of {@code report sparsity}: one row per layer per report, then an {@code all} row per report. */
final class SparsityCsv {
    static final List<String> COLUMNS = List.of("label", "model", "activation", "activation_param", "layer",
            "zero_fraction", "mean_abs", "mean_abs_active", "zeros", "entries", "loss", "perplexity");

    private SparsityCsv() {}

    /** Full double precision. */
    static String render(List<SparsityReport> reports) {
        List<String> labels = ReportLabels.labels(reports);
        StringBuilder b = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        for (int i = 0; i < reports.size(); i++) {
            SparsityReport r = reports.get(i);
            SparsityResult res = r.result();
            String param = r.activation().takesParam() ? Double.toString(r.activationParam()) : "";
            long zeros = 0, entries = 0;
            for (int l = 0; l <= res.layers(); l++) {
                boolean all = l == res.layers();
                long z = all ? zeros : res.layerZeros()[l];
                long n = all ? entries : res.layerCount()[l];
                zeros += all ? 0 : z;
                entries += all ? 0 : n;
                List<String> row = List.of(labels.get(i), r.modelPath(), r.activation().hfName(), param,
                        all ? "all" : String.valueOf(l),
                        Double.toString(all ? res.zeroFraction() : res.zeroFraction(l)),
                        Double.toString(all ? res.l1SumOfLayerMeans() / res.layers() : res.meanAbs(l)),
                        Double.toString(all ? res.meanAbsActive() : res.meanAbsActive(l)),
                        Long.toString(z), Long.toString(n), Double.toString(res.loss()), Double.toString(res.perplexity()));
                b.append(String.join(",", row.stream().map(SparsityCsv::field).toList())).append('\n');
            }
        }
        return b.toString();
    }

    /** A field, quoted when it holds a comma, a quote or a newline. */
    static String field(String s) {
        if (s.contains(",") || s.contains("\"") || s.contains("\n")) {
            return "\"" + s.replace("\"", "\"\"") + "\"";
        }
        return s;
    }
}
