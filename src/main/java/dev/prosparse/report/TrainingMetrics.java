package dev.prosparse.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.prosparse.ProsparseException;
import dev.prosparse.util.Errors;
import dev.prosparse.util.Json;
import dev.prosparse.util.Listing;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A training run's folder read back for reports: the lines of {@code metrics.jsonl}, the stages of
 * {@code recipe.yaml} (read as a plain YAML tree) and {@code final_report.json}. Lenient: a line cut short
 * by a kill is skipped, missing numbers are NaN, a repeated step (a resumed run) keeps its last line.
 */
public record TrainingMetrics(Path runDir, List<Train> train, List<Eval> evals, JsonNode fin, List<Stage> stages,
        JsonNode recipe) {

    public static final String METRICS = "metrics.jsonl";
    public static final String RECIPE = "recipe.yaml";
    public static final String FINAL_REPORT = "final_report.json";

    /** A {@code "type":"train"} line; targetSparsity is NaN unless a target-sparsity controller set λ. */
    public record Train(int step, int stage, String stageName, double lambda, double lr, double loss, double lmLoss,
            double l1, double gradNorm, double zeroFraction, long tokens, double tokensPerS, double targetSparsity) {}

    /** A {@code "type":"eval"} line (step 0 / stage −1: before training). */
    public record Eval(int step, int stage, double lambda, double loss, double perplexity, double zeroFraction,
            double[] layerZeroFraction) {}

    /** A stage of the recipe: global steps {@code (start, end]}. */
    public record Stage(int index, String name, int steps, double l1Lambda, String ramp, int start, int end) {}

    /** Reads {@code runDir}; throws a usage error naming what is there when it is not a run folder. */
    public static TrainingMetrics read(Path runDir) {
        Path metrics = runDir.resolve(METRICS);
        if (!Files.isDirectory(runDir)) {
            throw ProsparseException.usage("--run " + runDir + ": no such folder" + Listing.nearby(runDir));
        }
        if (!Files.isRegularFile(metrics)) {
            throw ProsparseException.usage("--run " + runDir + " has no " + METRICS + ", so it is not a training run"
                    + " folder (it holds: " + Listing.list(runDir) + "); runs are under checkpoints/runs/");
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(metrics, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw ProsparseException.io("Cannot read " + metrics + ": " + Errors.describe(e), e);
        }
        Map<Integer, Train> train = new TreeMap<>();
        Map<Integer, Eval> evals = new TreeMap<>();
        JsonNode fin = null;
        for (String line : lines) {
            JsonNode n = Json.logLine(line);
            if (n == null) {
                continue;                                   // blank, or a line cut by a kill
            }
            int step = n.path("step").asInt(-1);
            switch (n.path("type").asText()) {
                case "train" -> train.put(step, new Train(step, n.path("stage").asInt(-1), n.path("stage_name").asText(""),
                        num(n, "lambda"), num(n, "lr"), num(n, "loss"), num(n, "lm_loss"), num(n, "l1"),
                        num(n, "grad_norm"), num(n, "train_zero_fraction"), n.path("tokens").asLong(0),
                        num(n, "tokens_per_s"), num(n, "target_sparsity")));
                case "eval" -> evals.put(step, new Eval(step, n.path("stage").asInt(-1), num(n, "lambda"), num(n, "loss"),
                        num(n, "perplexity"), num(n, "zero_fraction"), doubles(n.path("layer_zero_fraction"))));
                case "final" -> fin = n;
                default -> { }
            }
        }
        Path finalReport = runDir.resolve(FINAL_REPORT);
        if (fin == null && Files.isRegularFile(finalReport)) {
            try {
                fin = Json.MAPPER.readTree(finalReport.toFile());
            } catch (IOException e) {
                fin = null;                                 // a report is still useful without it
            }
        }
        JsonNode recipe = readRecipe(runDir.resolve(RECIPE));
        List<Train> trainList = new ArrayList<>(train.values());
        return new TrainingMetrics(runDir, trainList, new ArrayList<>(evals.values()), fin,
                stages(recipe, trainList), recipe);
    }

    private static JsonNode readRecipe(Path file) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return new YAMLMapper().readTree(file.toFile());
        } catch (IOException e) {
            return null;
        }
    }

    /** From the recipe's {@code stages} (cumulative step counts), else from the stages seen in the train lines. */
    static List<Stage> stages(JsonNode recipe, List<Train> train) {
        List<Stage> out = new ArrayList<>();
        JsonNode s = recipe == null ? null : recipe.get("stages");
        if (s != null && s.isArray() && s.size() > 0) {
            int start = 0;
            for (int i = 0; i < s.size(); i++) {
                JsonNode st = s.get(i);
                int steps = st.path("steps").asInt(0);
                out.add(new Stage(i, st.path("name").asText("stage " + (i + 1)), steps, num(st, "l1_lambda"),
                        st.path("ramp").asText(""), start, start + steps));
                start += steps;
            }
            return out;
        }
        int current = Integer.MIN_VALUE, start = 0, last = 0;
        String name = null;
        double lambda = Double.NaN;
        for (Train t : train) {
            if (t.stage() != current) {
                if (name != null) {
                    out.add(new Stage(out.size(), name, last - start, lambda, "", start, last));
                    start = last;
                }
                current = t.stage();
                name = t.stageName().isEmpty() ? "stage " + (t.stage() + 1) : t.stageName();
            }
            lambda = t.lambda();
            last = t.step();
        }
        if (name != null) {
            out.add(new Stage(out.size(), name, last - start, lambda, "", start, last));
        }
        return out;
    }

    private static double num(JsonNode n, String key) {
        JsonNode v = n.get(key);
        return v != null && v.isNumber() ? v.asDouble() : Double.NaN;
    }

    private static double[] doubles(JsonNode arr) {
        if (arr == null || !arr.isArray()) {
            return new double[0];
        }
        double[] d = new double[arr.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = arr.get(i).isNumber() ? arr.get(i).asDouble() : Double.NaN;
        }
        return d;
    }

    /** The last step with any metrics line (0 before training). */
    public int lastStep() {
        int s = 0;
        for (Train t : train) {
            s = Math.max(s, t.step());
        }
        for (Eval e : evals) {
            s = Math.max(s, e.step());
        }
        return s;
    }

    /** Steps of the whole recipe (0 if unknown). */
    public int totalSteps() {
        return stages.isEmpty() ? 0 : stages.get(stages.size() - 1).end();
    }

    public boolean finished() {
        return fin != null;
    }

    /** The last train line at or before {@code step} and after {@code after}. */
    public Train trainAt(int after, int step) {
        return train.stream().filter(t -> t.step() > after && t.step() <= step)
                .max(Comparator.comparingInt(Train::step)).orElse(null);
    }

    /** The last eval line at or before {@code step} and after {@code after}. */
    public Eval evalAt(int after, int step) {
        return evals.stream().filter(e -> e.step() > after && e.step() <= step)
                .max(Comparator.comparingInt(Eval::step)).orElse(null);
    }

    /** The run's name: its folder name. */
    public String name() {
        Path n = runDir.toAbsolutePath().normalize().getFileName();
        return n == null ? runDir.toString() : n.toString();
    }
}
