package dev.prosparse.calibrate;

import dev.prosparse.ProsparseException;
import dev.prosparse.train.L1Schedule;
import dev.prosparse.train.Recipe;
import dev.prosparse.train.Stage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * λ calibration (docs/target-sparsity.md): short probe runs of a recipe's stage table, compressed in time and scaled so
 * that its last stage's λ is the probe's λ_S, then a fit of sparsity against λ_S ({@link LambdaFit}) checked on
 * held-out probes, and the recipe rescaled to the λ_S each target needs.
 */
public final class Calibrator {

    /**
     * How the probes run.
     *
     * @param heldOut   indexes into lambdas of the probes kept out of the fit
     * @param gradAccum micro-batches of batchSize sequences per optimizer step
     */
    public record Plan(List<Double> lambdas, List<Integer> heldOut, int steps, int batchSize, int gradAccum, int seqLen,
            int windows, int threads) {
        /** Training tokens of one probe. */
        public long tokensPerProbe() {
            return (long) steps * batchSize * gradAccum * seqLen;
        }

        /** Training tokens of all probes. */
        public long tokens() {
            return lambdas.size() * tokensPerProbe();
        }
    }

    /** One finished probe. */
    public record Probe(double lambda, boolean heldOut, double sparsity, double perplexity) {}

    /** The fits, each with its held-out error, and the one chosen (smaller held-out error). */
    public record Result(List<Probe> probes, LambdaFit paper, LambdaFit power, LambdaFit chosen, double paperHeldOut,
            double powerHeldOut) {}

    private Calibrator() {}

    /**
     * Refuses a recipe calibrate cannot scale: one whose λ comes from the target-sparsity controller, or whose last
     * stage has no L1 (its λ is the λ_S being calibrated).
     */
    public static void checkCalibratable(Recipe recipe, Path config) {
        String name = config == null ? "the built-in demo recipe" : "--config " + config;
        if (recipe.l1() != null) {
            throw ProsparseException.usage(name + " steers λ with l1.target_sparsity, so it has no λ to calibrate; train it"
                    + " as it is, or calibrate a fixed-λ recipe, for example --config configs/train/prosparse-tiny.yaml");
        }
        List<Stage> st = recipe.stages();
        double last = st.get(st.size() - 1).l1Lambda();
        if (!(last > 0)) {
            throw ProsparseException.usage(name + ": the last stage's l1_lambda is " + num(last) + "; calibrate scales the"
                    + " stage table to each probe's λ_S, so the last stage needs l1_lambda > 0 (for example"
                    + " configs/train/prosparse-tiny.yaml)");
        }
    }

    /** The probe recipe for λ_S: {@code base}'s table compressed to plan.steps and scaled to end at λ_S. */
    public static Recipe probeRecipe(Path config, List<String> baseSets, Recipe base, Plan plan, double lambdaS, Path outDir) {
        List<String> sets = new ArrayList<>(baseSets);
        sets.add("stages=" + stagesYaml(compress(base.stages(), plan.steps()), lambdaS));
        int total = plan.steps();
        int warm = (int) Math.round((double) base.schedule().warmupSteps() * total / new L1Schedule(base.stages()).totalSteps());
        sets.addAll(List.of("batch_size=" + plan.batchSize(), "seq_len=" + plan.seqLen(), "grad_accum=" + plan.gradAccum(),
                "eval.windows=" + plan.windows(), "eval.every=0", "save.every=0", "save.keep_last=1", "final_threshold=null",
                "schedule.warmup_steps=" + warm, "output_dir=" + outDir, "log_every=1000000", "l1=null",
                "threads=" + plan.threads()));
        return Recipe.load(config, sets);
    }

    /** Each stage's steps scaled to a total of {@code steps} (every stage keeps at least one step). */
    static List<Stage> compress(List<Stage> stages, int steps) {
        int total = new L1Schedule(stages).totalSteps();
        List<Stage> out = new ArrayList<>();
        int used = 0;
        for (int i = 0; i < stages.size(); i++) {
            Stage s = stages.get(i);
            int n = i == stages.size() - 1 ? Math.max(1, steps - used)
                    : Math.max(1, (int) Math.round((double) s.steps() * steps / total));
            out.add(new Stage(s.name(), n, s.l1Lambda(), s.ramp()));
            used += n;
        }
        return out;
    }

    /** The table as a YAML flow list, its λ values multiplied so that the last stage's is λ_S. */
    public static String stagesYaml(List<Stage> stages, double lambdaS) {
        double last = stages.get(stages.size() - 1).l1Lambda();
        if (!(last > 0)) {
            throw ProsparseException.usage("calibrate scales the recipe's stage table to each probe's λ, so the last stage"
                    + " needs l1_lambda > 0 (it is the λ_S being calibrated); got " + last);
        }
        return stages.stream().map(s -> String.format(Locale.ROOT, "{name: %s, steps: %d, l1_lambda: %s, ramp: %s}",
                s.name(), s.steps(), num(s.l1Lambda() * lambdaS / last), s.ramp().yaml()))
                .collect(Collectors.joining(", ", "[", "]"));
    }

    /** The two laws fitted on the probes not held out, and their errors on the held-out ones. */
    public static Result fit(List<Probe> probes) {
        List<LambdaFit.Point> train = points(probes, false), held = points(probes, true);
        LambdaFit paper = train.size() >= 3 ? LambdaFit.fit(LambdaFit.Law.PAPER, train) : null;
        LambdaFit power = LambdaFit.fit(LambdaFit.Law.POWER, train);
        double paperErr = paper == null || held.isEmpty() ? Double.NaN : paper.maxErrorPoints(held);
        double powerErr = held.isEmpty() ? Double.NaN : power.maxErrorPoints(held);
        LambdaFit chosen = paper != null && !(powerErr < paperErr) && !(Double.isNaN(paperErr) && power.rmsPoints() < paper.rmsPoints())
                ? paper : power;
        return new Result(probes, paper, power, chosen, paperErr, powerErr);
    }

    private static List<LambdaFit.Point> points(List<Probe> probes, boolean heldOut) {
        return probes.stream().filter(p -> p.heldOut() == heldOut && p.sparsity() > 0 && p.sparsity() < 1)
                .map(p -> new LambdaFit.Point(p.lambda(), p.sparsity())).toList();
    }

    public static String num(double v) {
        return java.math.BigDecimal.valueOf(v).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
    }
}
