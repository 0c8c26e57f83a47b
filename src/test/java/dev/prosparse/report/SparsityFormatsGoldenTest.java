package dev.prosparse.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.Fixtures;
import dev.prosparse.TorchTestBase;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.data.EvalWindows;
import dev.prosparse.data.TokenStream;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.SafetensorsFile;
import dev.prosparse.config.Activation;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.Weights;
import dev.prosparse.sparsity.SparsityEvaluator;
import dev.prosparse.sparsity.SparsityReport;
import dev.prosparse.sparsity.SparsityResult;
import dev.prosparse.util.Json;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Golden-backed: on the two golden windows of {@code fixtures/golden} the per-layer zero fractions equal what
 * transformers computed, and every format (text, JSON, CSV, Markdown, chart data) carries the same per-layer
 * values, for one report and for a side-by-side comparison.
 */
class SparsityFormatsGoldenTest extends TorchTestBase {
    static final String[] ACTS = {"relu", "fatrelu"};
    /** "exact up to a few entries whose pre-activation sits within 1e-6 of the threshold" (fixtures README). */
    static final int ZERO_COUNT_SLACK = 3;

    /**
     * The golden input_ids [2, 32] as a token stream whose windows are exactly those rows: each row plus one
     * filler token, so that the evaluator's inputs ([:, :32]) are the golden inputs and x1 covers all 32
     * positions, as in transformers' forward pass.
     */
    static TokenStream goldenStream(String model) {
        long[] ids;
        try (SafetensorsFile f = SafetensorsFile.open(Fixtures.golden(model + ".safetensors"))) {
            ids = f.readInt64("input_ids");
        }
        int[] tokens = new int[2 * 33];
        for (int w = 0; w < 2; w++) {
            for (int t = 0; t < 32; t++) {
                tokens[w * 33 + t] = (int) ids[w * 32 + t];
            }
            tokens[w * 33 + 32] = 2;                                   // </s>: a target only
        }
        return new TokenStream(tokens, 2);
    }

    static SparsityReport evaluate(String model, String act, double param) {
        ModelConfig config = ModelConfig.read(Fixtures.model(model));
        TokenStream stream = goldenStream(model);
        EvalWindows windows = new EvalWindows(2, 32, 33);
        try (CheckpointFiles files = CheckpointFiles.open(Fixtures.model(model));
                Weights w = Weights.load(config, files, base)) {
            Activation a = Activation.parse(act, "test");
            SparsityResult r = SparsityEvaluator.evaluate(new CausalLM(config, w, a, param), base, stream, windows, 8, null);
            return new SparsityReport(Fixtures.model(model).toString(), config, a, param, "golden/" + model + ".safetensors",
                    "0".repeat(64), stream.length(), windows, r, SparsityReport.MODE_WHOLE, 0.1);
        }
    }

    static JsonNode golden(String model, String act) throws IOException {
        return Json.MAPPER.readTree(Fixtures.golden(model + ".json").toFile()).get("acts").get(act);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-minicpm"})
    void everyFormatCarriesTheGoldenPerLayerValues(String model) throws IOException {
        List<SparsityReport> reports = new ArrayList<>();
        for (String act : ACTS) {
            JsonNode g = golden(model, act);
            SparsityReport r = evaluate(model, act, g.get("param").asDouble());
            SparsityResult res = r.result();
            for (int l = 0; l < res.layers(); l++) {
                long expected = Math.round(g.get("per_layer_zero_fraction").get(l).asDouble() * res.layerCount()[l]);
                assertTrue(Math.abs(res.layerZeros()[l] - expected) <= ZERO_COUNT_SLACK,
                        act + " layer " + l + ": " + res.layerZeros()[l] + " zeros, transformers " + expected);
            }
            assertEquals(g.get("l1_sum_of_layer_means").asDouble(), res.l1SumOfLayerMeans(),
                    1e-5 * g.get("l1_sum_of_layer_means").asDouble(), act + " Σ-layer mean |x1|");
            reports.add(r);
        }
        // one report, then both side by side
        checkFormats(new SparsityOutput(List.of(reports.get(0)), false));
        checkFormats(new SparsityOutput(reports, false));
    }

    /** Text, JSON, CSV, Markdown and the chart data agree with the numbers they were rendered from. */
    static void checkFormats(SparsityOutput out) throws IOException {
        List<SparsityReport> reports = out.reports();
        int layers = reports.get(0).result().layers();

        // JSON parses back and holds the exact doubles
        JsonNode json = Json.MAPPER.readTree(out.json());
        assertEquals(SparsityJson.SCHEMA_VERSION, json.get("schema_version").asInt());
        List<JsonNode> jr = new ArrayList<>();
        if (out.single()) {
            jr.add(json);
        } else {
            assertEquals("comparison", json.get("kind").asText());
            json.get("reports").forEach(jr::add);
        }
        assertEquals(reports.size(), jr.size());

        // CSV parses back: one row per layer per report plus an "all" row
        List<Map<String, String>> csv = parseCsv(out.csv());
        assertEquals(reports.size() * (layers + 1), csv.size());

        Map<Integer, double[]> textZero = textTable(out.text(), out.single(), reports.size(), layers);
        Map<Integer, double[]> mdZero = markdownTable(out.markdown(false), out.single(), reports.size(), layers);
        Charts.Bars chart = out.layerChart();

        for (int i = 0; i < reports.size(); i++) {
            SparsityResult r = reports.get(i).result();
            JsonNode j = jr.get(i);
            assertEquals(r.loss(), j.get("loss").asDouble(), 0.0);
            assertEquals(r.zeroFraction(), j.get("zero_fraction").asDouble(), 0.0);
            for (int l = 0; l < layers; l++) {
                JsonNode jl = j.get("layers").get(l);
                assertEquals(l, jl.get("layer").asInt());
                assertEquals(r.zeroFraction(l), jl.get("zero_fraction").asDouble(), 0.0, "json layer " + l);
                assertEquals(r.meanAbsActive(l), jl.get("mean_abs_active").asDouble(), 0.0);
                assertEquals(r.layerZeros()[l], jl.get("zeros").asLong());
                Map<String, String> row = csv.get(i * (layers + 1) + l);
                assertEquals(String.valueOf(l), row.get("layer"));
                assertEquals(r.zeroFraction(l), Double.parseDouble(row.get("zero_fraction")), 0.0, "csv layer " + l);
                assertEquals(r.meanAbs(l), Double.parseDouble(row.get("mean_abs")), 0.0);
                assertEquals(r.meanAbsActive(l), Double.parseDouble(row.get("mean_abs_active")), 0.0);
                assertEquals(r.layerZeros()[l], Long.parseLong(row.get("zeros")));
                assertEquals(r.layerCount()[l], Long.parseLong(row.get("entries")));
                assertEquals(r.perplexity(), Double.parseDouble(row.get("perplexity")), 0.0);
                // the tables print 4 decimals: they agree with the JSON to that rounding
                assertEquals(r.zeroFraction(l), textZero.get(i)[l], 0.00005 + 1e-12, "text layer " + l);
                assertEquals(r.zeroFraction(l), mdZero.get(i)[l], 0.00005 + 1e-12, "markdown layer " + l);
                assertEquals(100 * r.zeroFraction(l), chart.values().get(i)[l], 1e-9, "chart layer " + l);
            }
            Map<String, String> all = csv.get(i * (layers + 1) + layers);
            assertEquals("all", all.get("layer"));
            assertEquals(r.zeroFraction(), Double.parseDouble(all.get("zero_fraction")), 0.0);
            assertEquals(r.zeroFraction(), textZero.get(i)[layers], 0.00005 + 1e-12, "text overall");
            assertEquals(r.zeroFraction(), mdZero.get(i)[layers], 0.00005 + 1e-12, "markdown overall");
        }
    }

    /** CSV with a header row; handles quoted fields. */
    static List<Map<String, String>> parseCsv(String text) {
        List<String> lines = text.lines().toList();
        List<String> header = splitCsv(lines.get(0));
        assertEquals(SparsityOutput.CSV_COLUMNS, header);
        List<Map<String, String>> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            List<String> f = splitCsv(line);
            assertEquals(header.size(), f.size(), line);
            Map<String, String> m = new LinkedHashMap<>();
            for (int i = 0; i < f.size(); i++) {
                m.put(header.get(i), f.get(i));
            }
            rows.add(m);
        }
        return rows;
    }

    static List<String> splitCsv(String line) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cur.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cur.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                out.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        out.add(cur.toString());
        return out;
    }

    static final Pattern NUM = Pattern.compile("-?\\d+\\.\\d+");

    /**
     * Per report, the zero fractions of the text table (layers, then "all"): the second column of a single
     * report's table, or the columns of the comparison's "zero fraction" table.
     */
    static Map<Integer, double[]> textTable(String text, boolean single, int reports, int layers) {
        List<String> lines = text.lines().toList();
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (single ? lines.get(i).trim().startsWith("layer") : lines.get(i).startsWith("zero fraction of x1 per layer")) {
                start = single ? i + 1 : i + 2;
                break;
            }
        }
        assertTrue(start > 0, "no per-layer table in:\n" + text);
        return rows(lines.subList(start, start + layers + 1), single, reports);
    }

    static Map<Integer, double[]> markdownTable(String md, boolean single, int reports, int layers) {
        List<String> lines = md.lines().toList();
        int start = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (single ? lines.get(i).startsWith("| layer | zero fraction") : lines.get(i).startsWith("Zero fraction per layer")) {
                start = single ? i + 2 : i + 4;
                break;
            }
        }
        assertTrue(start > 0, "no per-layer table in:\n" + md);
        return rows(lines.subList(start, start + layers + 1), single, reports);
    }

    private static Map<Integer, double[]> rows(List<String> lines, boolean single, int reports) {
        Map<Integer, double[]> out = new LinkedHashMap<>();
        for (int i = 0; i < reports; i++) {
            out.put(i, new double[lines.size()]);
        }
        for (int l = 0; l < lines.size(); l++) {
            List<Double> nums = new ArrayList<>();
            Matcher m = NUM.matcher(lines.get(l).replaceAll("\\*", ""));
            while (m.find()) {
                nums.add(Double.parseDouble(m.group()));
            }
            for (int i = 0; i < reports; i++) {
                out.get(i)[l] = nums.get(single ? 0 : i);
            }
        }
        return out;
    }
}
