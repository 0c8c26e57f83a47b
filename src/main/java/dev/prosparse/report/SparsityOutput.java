package dev.prosparse.report;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.sparsity.SparsityReport;
import dev.prosparse.util.AtomicFiles;
import dev.prosparse.util.Errors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * {@code report sparsity} output for one report, several models side by side, or a threshold sweep: a
 * terminal table ({@link SparsityText}), JSON ({@link SparsityJson}), CSV ({@link SparsityCsv}), Markdown
 * ({@link SparsityMarkdown}) and per-layer charts, PNG/SVG ({@link SparsityCharts}). Every format is rendered
 * from the same {@code SparsityResult} numbers; field meanings are in {@code docs/report-formats.md}.
 *
 * @param reports in evaluation order (model-major for a sweep over several models)
 * @param sweep   whether the reports are a threshold sweep ({@code --thresholds})
 */
public record SparsityOutput(List<SparsityReport> reports, boolean sweep) {

    /** File names written by {@link #writeAll}. */
    public static final String TEXT_FILE = "sparsity.txt", JSON_FILE = "sparsity.json", CSV_FILE = "sparsity.csv",
            MD_FILE = "sparsity.md", LAYERS_CHART = "sparsity-layers", SWEEP_CHART = "sparsity-sweep";

    public static final List<String> CSV_COLUMNS = SparsityCsv.COLUMNS;

    public SparsityOutput {
        if (reports.isEmpty()) {
            throw new IllegalArgumentException("no reports");
        }
        reports = List.copyOf(reports);
    }

    public enum Format {
        TEXT("text"), JSON("json"), CSV("csv"), MD("md"), PNG("png"), SVG("svg");

        public final String flag;

        Format(String flag) {
            this.flag = flag;
        }

        /** Whether it is text that can go to stdout. */
        public boolean printable() {
            return this != PNG && this != SVG;
        }

        /** Refuses a chart format where the output goes to stdout: charts are files, written with --out. */
        public void checkPrintable() {
            if (!printable()) {
                throw ProsparseException.usage("--format " + flag + " writes a chart file; add --out DIR"
                        + " (for example --format " + flag + " --out reports/)");
            }
        }

        /** Parses a comma-separated list such as {@code md} or {@code json,png}. */
        public static Set<Format> parseList(String s) {
            Set<Format> out = EnumSet.noneOf(Format.class);
            for (String part : s.split(",")) {
                String p = part.trim().toLowerCase(Locale.ROOT);
                Format f = null;
                for (Format x : values()) {
                    if (x.flag.equals(p) || p.equals("markdown") && x == MD || p.equals("table") && x == TEXT) {
                        f = x;
                    }
                }
                if (f == null) {
                    throw ProsparseException.usage("--format " + s + ": unknown format '" + part.trim()
                            + "'; use text, json, csv, md, png or svg (for example --format md, or --format json,png with --out DIR)");
                }
                out.add(f);
            }
            return out;
        }
    }

    /** One report, not a sweep: rendered in the single-report shape. */
    public boolean single() {
        return reports.size() == 1 && !sweep;
    }

    /** Short names for the reports: the model (when several), the activation (when several differ). */
    public List<String> labels() {
        return ReportLabels.labels(reports);
    }

    /** A text format, for stdout; the chart formats need a folder ({@link #writeAll}). */
    public String render(Format f) {
        f.checkPrintable();
        return switch (f) {
            case TEXT -> text();
            case JSON -> json();
            case CSV -> csv();
            case MD -> markdown(false);
            case PNG, SVG -> throw new IllegalStateException("not a text format: " + f);
        };
    }

    public String text() {
        return SparsityText.render(this);
    }

    public ObjectNode jsonNode() {
        return SparsityJson.node(this);
    }

    public String json() {
        return SparsityJson.render(this);
    }

    /** One row per layer per report, then an {@code all} row per report; full double precision. */
    public String csv() {
        return SparsityCsv.render(reports);
    }

    /** @param withCharts whether the chart files sit next to the Markdown (then it links them) */
    public String markdown(boolean withCharts) {
        return SparsityMarkdown.render(this, withCharts);
    }

    /** Per-layer zero fraction (%), one bar series per report. */
    public Charts.Bars layerChart() {
        return SparsityCharts.layers(this);
    }

    /** Sparsity (left axis) and perplexity (right axis) against the threshold, one pair of lines per model. */
    public Charts.Line sweepChart() {
        return SparsityCharts.sweep(this);
    }

    /** Writes the given formats into {@code dir} (created if needed); returns the files written. */
    public List<Path> writeAll(Path dir, Set<Format> formats) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw ProsparseException.io("Cannot create --out folder " + dir + ": " + Errors.describe(e), e);
        }
        List<Path> out = new ArrayList<>();
        for (Format f : formats) {
            switch (f) {
                case TEXT -> out.add(write(dir.resolve(TEXT_FILE), text()));
                case JSON -> out.add(write(dir.resolve(JSON_FILE), json()));
                case CSV -> out.add(write(dir.resolve(CSV_FILE), csv()));
                case MD -> out.add(write(dir.resolve(MD_FILE), markdown(formats.contains(Format.PNG))));
                default -> { }
            }
        }
        if (formats.contains(Format.PNG) || formats.contains(Format.SVG)) {
            List<Object> specs = new ArrayList<>(List.of(layerChart()));
            List<String> names = new ArrayList<>(List.of(LAYERS_CHART));
            if (sweep) {
                specs.add(sweepChart());
                names.add(SWEEP_CHART);
            }
            for (int i = 0; i < specs.size(); i++) {
                if (formats.contains(Format.PNG)) {
                    Path p = dir.resolve(names.get(i) + ".png");
                    AtomicFiles.writeBytes(p, Charts.png(specs.get(i)));
                    out.add(p);
                }
                if (formats.contains(Format.SVG)) {
                    Path p = dir.resolve(names.get(i) + ".svg");
                    AtomicFiles.writeBytes(p, Charts.svg(specs.get(i)));
                    out.add(p);
                }
            }
        }
        return out;
    }

    private static Path write(Path p, String text) {
        AtomicFiles.writeString(p, text);
        return p;
    }
}
