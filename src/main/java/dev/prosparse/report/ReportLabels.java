package dev.prosparse.report;

import dev.prosparse.util.Plural;
import dev.prosparse.sparsity.SparsityReport;
import java.math.BigDecimal;
import java.math.MathContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/** How the sparsity reports name things and print numbers: model and report labels, thresholds, decimals. */
final class ReportLabels {
    private static final Pattern SAVE_DIR = Pattern.compile("final|step-\\d+");

    private ReportLabels() {}

    /** {@code relu}, {@code fatrelu 0.01}: the activation as tables print it. */
    static String activation(SparsityReport r) {
        return r.activation().hfName() + (r.activation().takesParam() ? " " + param(r.activationParam()) : "");
    }

    /** A threshold without trailing zeros: 0, 0.005, 0.01. */
    static String param(double p) {
        return BigDecimal.valueOf(p).stripTrailingZeros().toPlainString();
    }

    /** Short names for the reports: the model (when several), the activation (when several differ). */
    static List<String> labels(List<SparsityReport> reports) {
        Set<String> paths = new LinkedHashSet<>();
        Set<String> acts = new LinkedHashSet<>();
        for (SparsityReport r : reports) {
            paths.add(r.modelPath());
            acts.add(activation(r));
        }
        Map<String, String> names = modelNames(new ArrayList<>(paths));
        List<String> out = new ArrayList<>();
        for (SparsityReport r : reports) {
            String m = names.get(r.modelPath());
            if (paths.size() > 1 && acts.size() > 1) {
                out.add(m + " · " + activation(r));
            } else if (acts.size() > 1) {
                out.add(activation(r));
            } else {
                out.add(m);
            }
        }
        return out;
    }

    /** The folder name; {@code run/final} for run outputs; the whole path when names collide. */
    static Map<String, String> modelNames(List<String> paths) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String p : paths) {
            Path path = Path.of(p).normalize();
            Path name = path.getFileName();
            String n = name == null ? p : name.toString();
            if (SAVE_DIR.matcher(n).matches() && path.getParent() != null && path.getParent().getFileName() != null) {
                n = path.getParent().getFileName() + "/" + n;
            }
            out.put(p, n);
        }
        if (new LinkedHashSet<>(out.values()).size() < out.size()) {
            paths.forEach(p -> out.put(p, p));
        }
        return out;
    }

    /** The reports grouped by model path, in order. */
    static Map<String, List<SparsityReport>> byModel(List<SparsityReport> reports) {
        Map<String, List<SparsityReport>> byModel = new LinkedHashMap<>();
        for (SparsityReport r : reports) {
            byModel.computeIfAbsent(r.modelPath(), k -> new ArrayList<>()).add(r);
        }
        return byModel;
    }

    /** The models and their paths: {@code label = path}, one line each (one line when there is one model). */
    static void modelLines(List<SparsityReport> reports, StringBuilder b, String prefix, String bullet) {
        Map<String, List<SparsityReport>> byModel = byModel(reports);
        Map<String, String> names = modelNames(new ArrayList<>(byModel.keySet()));
        if (byModel.size() == 1) {
            b.append(prefix).append(bullet).append(byModel.keySet().iterator().next()).append('\n');
            return;
        }
        for (String path : byModel.keySet()) {
            b.append(prefix).append(bullet).append(names.get(path)).append(" = ").append(path).append('\n');
        }
    }

    /** The widest label a per-layer table takes as a column title. */
    static final int MAX_HEAD = 24;

    /**
     * Column titles of the per-layer tables: the threshold in a sweep of one model, else the labels; when any label
     * is wider than {@link #MAX_HEAD}, every column is titled by its row in the summary table ({@code #1}, {@code #2},
     * ...), never a mix of the two.
     */
    static List<String> columnHeads(List<SparsityReport> reports, boolean sweep) {
        List<String> labels = labels(reports);
        List<String> out = new ArrayList<>();
        boolean oneModel = byModel(reports).size() == 1;
        for (int i = 0; i < reports.size(); i++) {
            out.add(sweep && oneModel ? "t=" + param(reports.get(i).activationParam()) : labels.get(i));
        }
        if (out.stream().anyMatch(h -> h.length() > MAX_HEAD)) {
            for (int i = 0; i < out.size(); i++) {
                out.set(i, "#" + (i + 1));
            }
        }
        return out;
    }

    /** Whether {@link #columnHeads} titled the columns by summary row ({@code #1}, {@code #2}, ...). */
    static boolean numbered(List<String> heads) {
        return heads.stream().allMatch(h -> h.matches("#\\d+"));
    }

    /** The evaluation data in one line: source, hash, size, windows. */
    static String dataLine(SparsityReport r) {
        return String.format(Locale.ROOT, "%s (sha256 %s…, %,d tokens), %s × %d = %,d predicted tokens",
                r.dataSource(), r.dataSha256().substring(0, Math.min(12, r.dataSha256().length())), r.streamTokens(),
                Plural.of(r.windows().count(), "window"), r.windows().seqLen(), r.result().tokens());
    }

    /** {@code v} with {@code decimals} decimals. */
    static String fixed(double v, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** Perplexity as the tables print it: three decimals. */
    static String ppl(double v) {
        return fixed(v, 3);
    }

    /** Perplexity with four significant digits (114.2, 81.74, 1,234), for chart legends. */
    static String ppl4(double v) {
        return v >= 1000 ? String.format(Locale.ROOT, "%,.0f", v)
                : new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros().toPlainString();
    }

    /** Escapes a Markdown table cell. */
    static String md(String s) {
        return s.replace("|", "\\|");
    }
}
