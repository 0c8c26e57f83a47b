package dev.prosparse.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prosparse.util.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The sparsity and perplexity figures of a sparsify run, read from the training's final_report.json and the
 * predictors' predictors.json (NaN where a file is missing).
 */
public record Metrics(String trainedAct, double trainedPerplexity, double trainedSparsity, String finalAct,
        double finalPerplexity, double finalSparsity, double densePerplexity, double predictedPerplexity,
        double predictedSparsity, double recall, int evalWindows, int seqLen) {

    static Metrics read(Path runDir, Path predDir) {
        JsonNode r = json(runDir.resolve("final_report.json")), p = json(predDir.resolve("predictors.json"));
        double ps = 0, rc = 0;
        int n = p.path("layers").size();
        for (JsonNode l : p.path("layers")) {
            ps += l.path("predicted_sparsity").asDouble() / n;
            rc += l.path("recall").asDouble() / n;
        }
        return new Metrics(act(r.path("trained")), num(r.path("trained").path("perplexity")), num(r.path("trained").path("zero_fraction")),
                act(r.path("final")), num(r.path("final").path("perplexity")), num(r.path("final").path("zero_fraction")),
                num(p.path("perplexity_dense")), num(p.path("perplexity_predicted")), n > 0 ? ps : Double.NaN,
                n > 0 ? rc : Double.NaN, p.path("eval_windows").asInt(), p.path("seq_len").asInt());
    }

    /** Markdown rows: what was measured, FFN sparsity, perplexity. */
    public String table() {
        StringBuilder sb = new StringBuilder("| model | FFN activations zero | perplexity |\n|---|---|---|\n");
        sb.append(row("trained (" + trainedAct + "), training eval windows", trainedSparsity, trainedPerplexity));
        if (!finalAct.equals(trainedAct) || finalPerplexity != trainedPerplexity) {
            sb.append(row("final (" + finalAct + "), training eval windows", finalSparsity, finalPerplexity));
        }
        sb.append(row("final, dense FFN, " + evalWindows + " windows of " + seqLen + " tokens", Double.NaN, densePerplexity));
        sb.append(String.format(Locale.ROOT, "| final, only predicted neurons computed (recall %.3f) | %s skipped | %.2f |%n",
                recall, pct(predictedSparsity), predictedPerplexity));
        return sb.toString();
    }

    private static String row(String what, double sparsity, double ppl) {
        return String.format(Locale.ROOT, "| %s | %s | %.2f |%n", what, Double.isNaN(sparsity) ? "—" : pct(sparsity), ppl);
    }

    private static String pct(double v) {
        return String.format(Locale.ROOT, "%.2f%%", 100 * v);
    }

    private static String act(JsonNode o) {
        return o.path("activation").asText("?") + (o.has("activation_param") ? " " + o.get("activation_param").asDouble() : "");
    }

    private static double num(JsonNode n) {
        return n.isNumber() ? n.asDouble() : Double.NaN;
    }

    private static JsonNode json(Path f) {
        try {
            return Files.isRegularFile(f) ? Json.DOCUMENT.readTree(Files.readString(f)) : Json.MAPPER.createObjectNode();
        } catch (IOException e) {
            return Json.MAPPER.createObjectNode();
        }
    }
}
