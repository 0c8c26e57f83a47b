package dev.prosparse.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.sparsity.SparsityReport;
import dev.prosparse.sparsity.SparsityResult;
import dev.prosparse.util.BuildInfo;
import dev.prosparse.util.Json;
import java.util.List;

/**
 * The JSON form of {@code report sparsity}, a stable interface documented in {@code docs/report-formats.md}:
 * one report's object, or for several a {@code comparison} / {@code sweep} object holding them.
 * {@link #SCHEMA_VERSION} changes when a field changes meaning or disappears, not when one is added.
 */
public final class SparsityJson {
    public static final int SCHEMA_VERSION = 1;

    private SparsityJson() {}

    static ObjectNode node(SparsityOutput out) {
        if (out.single()) {
            return report(out.reports().get(0));
        }
        List<SparsityReport> reports = out.reports();
        List<String> labels = ReportLabels.labels(reports);
        ObjectNode root = header();
        root.put("kind", out.sweep() ? "sweep" : "comparison");
        ArrayNode arr = root.putArray("reports");
        for (int i = 0; i < reports.size(); i++) {
            ObjectNode n = Json.MAPPER.createObjectNode();
            n.put("label", labels.get(i));
            n.setAll(report(reports.get(i)));
            arr.add(n);
        }
        if (out.sweep()) {
            ArrayNode rows = root.putArray("sweep");
            for (int i = 0; i < reports.size(); i++) {
                SparsityReport r = reports.get(i);
                ObjectNode o = rows.addObject();
                o.put("label", labels.get(i));
                o.put("model", r.modelPath());
                o.put("activation", r.activation().hfName());
                o.put("threshold", r.activationParam());
                o.put("loss", r.result().loss());
                o.put("perplexity", r.result().perplexity());
                o.put("zero_fraction", r.result().zeroFraction());
            }
        }
        return root;
    }

    static String render(SparsityOutput out) {
        try {
            return Json.PRETTY.writeValueAsString(node(out)) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode header() {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("schema_version", SCHEMA_VERSION);
        root.put("tool", "prosparse " + BuildInfo.version());
        return root;
    }

    /** One evaluation: model, activation, data, windows, overall figures and the per-layer statistics. */
    private static ObjectNode report(SparsityReport r) {
        ObjectNode root = header();
        ObjectNode model = root.putObject("model");
        model.put("path", r.modelPath());
        model.put("model_type", r.config().modelType());
        model.put("num_hidden_layers", r.config().numHiddenLayers());
        model.put("intermediate_size", r.config().intermediateSize());
        model.put("hidden_act", r.config().hiddenAct().hfName());
        root.put("activation", r.activation().hfName());
        if (r.activation().takesParam()) {
            root.put("activation_param", r.activationParam());
        } else {
            root.putNull("activation_param");
        }
        ObjectNode data = root.putObject("data");
        data.put("source", r.dataSource());
        data.put("sha256", r.dataSha256());
        data.put("stream_tokens", r.streamTokens());
        SparsityResult result = r.result();
        root.put("seq_len", r.windows().seqLen());
        root.put("windows", r.windows().count());
        root.put("tokens", result.tokens());
        root.put("loss", result.loss());
        root.put("perplexity", result.perplexity());
        root.put("zero_fraction", result.zeroFraction());
        root.put("l1_sum_of_layer_means", result.l1SumOfLayerMeans());
        root.put("mean_abs_active", result.meanAbsActive());
        ObjectNode eval = root.putObject("evaluation");
        eval.put("mode", r.mode());
        eval.put("seconds", r.seconds());
        ArrayNode layers = root.putArray("layers");
        for (int l = 0; l < result.layers(); l++) {
            ObjectNode o = layers.addObject();
            o.put("layer", l);
            o.put("zero_fraction", result.zeroFraction(l));
            o.put("mean_abs", result.meanAbs(l));
            o.put("mean_abs_active", result.meanAbsActive(l));
            o.put("zeros", result.layerZeros()[l]);
            o.put("entries", result.layerCount()[l]);
        }
        return root;
    }
}
