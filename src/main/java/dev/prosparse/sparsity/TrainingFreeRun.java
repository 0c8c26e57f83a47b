package dev.prosparse.sparsity;

import ai.djl.ndarray.NDManager;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.data.EvalWindows;
import dev.prosparse.data.TextTokenizer;
import dev.prosparse.data.TokenStream;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.HfCheckpoint;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.Weights;
import dev.prosparse.util.Torch;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code report sparsity --ppl-budget p%}: for each evaluated checkpoint (the model and every --compare), the sparsity
 * that thresholds reach without training while perplexity rises by at most p % — on |x1| and with CATS — on the same
 * windows as the plain evaluation.
 */
public final class TrainingFreeRun {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingFreeRun.class);
    /** Windows whose magnitudes set the per-layer quantiles (the first ones of the evaluation set). */
    public static final int CALIBRATION_WINDOWS = 16;

    /**
     * One checkpoint: as evaluated, and with each method's thresholds.
     *
     * @param source the index of the row of the checkpoint this one was trained from (its prosparse.json), or -1
     */
    public record Row(SparsityReport plain, TrainingFree.Found x1, TrainingFree.Found cats, int source) {}

    /**
     * All checkpoints, and the baseline the table measures perplexity against: the first checkpoint another was trained
     * from, else the first (--model).
     */
    public record Table(List<Row> rows, int baseline, double budget) {}

    private TrainingFreeRun() {}

    /** @param plain the ordinary reports of the same request (one per checkpoint, no sweep) */
    public static Table run(SparsityRun.Request req, List<SparsityReport> plain, double budget) {
        if (req.thresholds() != null) {
            throw ProsparseException.usage("--ppl-budget and --thresholds exclude each other: the budget search chooses"
                    + " its own thresholds");
        }
        List<String> docs = req.data().readDocuments();
        int[] sources = SourceLink.sources(plain.stream().map(r -> Path.of(r.modelPath())).toList());
        for (int i = 0; i < plain.size(); i++) {
            String recorded = SourceLink.recordedSource(Path.of(plain.get(i).modelPath()));
            if (recorded != null && sources[i] < 0) {
                LOG.info("{} was trained from {}: add --compare {} to see its training-free numbers on the same windows",
                        plain.get(i).modelPath(), recorded, recorded);
            }
        }
        List<Row> rows = new ArrayList<>();
        for (SparsityReport r : plain) {
            if (SparsityReport.MODE_STREAMED.equals(r.mode())) {
                throw ProsparseException.usage("--ppl-budget needs the whole model in memory; " + r.modelPath()
                        + " was evaluated layer by layer (add --no-stream-layers if it fits)");
            }
            HfCheckpoint ckpt = HfCheckpoint.open(Path.of(r.modelPath()));
            TokenStream stream;
            try (TextTokenizer tok = ckpt.tokenizer()) {
                stream = TokenStream.of(tok, docs);
            }
            EvalWindows windows = EvalWindows.over(stream, req.windows(), req.seqLen(), req.data().spec());
            ModelConfig config = ckpt.config();
            try (NDManager base = NDManager.newBaseManager(); CheckpointFiles files = ckpt.files();
                    Weights weights = Weights.load(config, files, base)) {
                CausalLM model = new CausalLM(config, weights, r.activation(), r.activationParam());
                TrainingFree tf = new TrainingFree(model, base, stream, windows, req.batchSize());
                TrainingFree.Found[] found = new TrainingFree.Found[2];
                for (TrainingFree.Method m : TrainingFree.Method.values()) {
                    LOG.info("{}: searching per-layer thresholds, {}, for perplexity within +{}% ({} evaluations)", r.modelPath(), m.label,
                            String.format(Locale.ROOT, "%.3g", 100 * budget), TrainingFree.BISECTIONS);
                    found[m.ordinal()] = Torch.noGrad(() -> tf.search(m, budget, r.result(), CALIBRATION_WINDOWS));
                }
                rows.add(new Row(r, found[0], found[1], sources[rows.size()]));
            }
        }
        return new Table(rows, baseline(sources), budget);
    }

    /** The first checkpoint another one was trained from; 0 (the --model) when none was. */
    static int baseline(int[] sources) {
        return java.util.Arrays.stream(sources).filter(i -> i >= 0).min().orElse(0);
    }

    /** "1%", "1" and "0.5 %" are percent; returns the fraction (0.01). */
    public static double parseBudget(String s) {
        String v = s.strip();
        if (v.endsWith("%")) {
            v = v.substring(0, v.length() - 1).strip();
        }
        try {
            double p = Double.parseDouble(v);
            if (p > 0 && p <= 100) {
                return p / 100;
            }
        } catch (NumberFormatException ignored) {
            // falls through to the message
        }
        throw ProsparseException.usage("--ppl-budget " + s + ": give the allowed perplexity rise in percent, in (0, 100],"
                + " for example --ppl-budget 1%");
    }
}
