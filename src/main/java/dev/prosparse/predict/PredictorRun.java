package dev.prosparse.predict;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.data.DataSource;
import dev.prosparse.data.EvalWindows;
import dev.prosparse.data.TextTokenizer;
import dev.prosparse.data.TokenStream;
import dev.prosparse.device.DeviceSetup;
import dev.prosparse.device.DeviceSpec;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.HfCheckpoint;
import dev.prosparse.config.Activation;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.Weights;
import dev.prosparse.util.Json;
import dev.prosparse.util.PeakRss;
import dev.prosparse.util.Torch;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code predictors train} end to end: collect pairs, train per layer, choose cuts, fold, evaluate, save. */
public final class PredictorRun {
    private static final Logger LOG = LoggerFactory.getLogger(PredictorRun.class);

    /**
     * @param samples     token positions to collect (whole windows of seqLen; 10 % are held out for the cut and 10 % for
     *                    the report)
     * @param evalWindows windows of evalData for the perplexities (of seqLen tokens)
     * @param device      where pairs are collected and predictors trained (auto: the first GPU DJL sees)
     * @param maxLayers   0: every layer; N: a timing run over the first N layers only (nothing is written)
     * @param pairsDtype  --pairs-dtype: auto, float16 or float32 ({@link PairStore#resolve})
     */
    public record Request(Path model, Path out, boolean force, int rank, DataSource data, int samples, double recall,
            int epochs, int batch, double lr, int seqLen, DataSource evalData, int evalWindows, int threads, long seed,
            DeviceSpec device, int maxLayers, String pairsDtype) {
        /** With --pairs-dtype auto. */
        public Request(Path model, Path out, boolean force, int rank, DataSource data, int samples, double recall, int epochs,
                int batch, double lr, int seqLen, DataSource evalData, int evalWindows, int threads, long seed,
                DeviceSpec device, int maxLayers) {
            this(model, out, force, rank, data, samples, recall, epochs, batch, lr, seqLen, evalData, evalWindows, threads,
                    seed, device, maxLayers, "auto");
        }
    }

    /** Per layer: the cut, its fold, held-out quality. */
    /** @param perplexity the model's perplexity when only this layer computes only its predicted neurons */
    public record LayerResult(int layer, float cut, float scale, boolean exactFold, float effectiveCut, Cuts.Quality quality,
            long foldMismatches, double perplexity) {}

    /**
     * @param collectSeconds  per layer: the pair collection (one layer's forward over every window)
     * @param trainSeconds    per layer: slicing and uploading its pairs, the training, the cut, the report scores and the
     *                        fold checks
     * @param peakDeviceBytes GPU memory in use at its highest sample (−1 on the CPU)
     * @param peakHostBytes   this process's peak resident memory (VmHWM; −1 where unknown)
     * @param estimate        what was printed before the work
     * @param pairs           where the pairs were kept while training
     */
    public record Result(Request request, List<LayerResult> layers, float threshold, double densePerplexity,
            double predictedPerplexity, double skippedFraction, int trainRows, int calibRows, int testRows, Path out,
            double[] collectSeconds, double[] trainSeconds, long peakDeviceBytes, long peakHostBytes,
            PredictorEstimate estimate, PairStore pairs) {

        /** Collect + train seconds per layer. */
        public double[] layerSeconds() {
            double[] s = new double[collectSeconds.length];
            for (int l = 0; l < s.length; l++) {
                s[l] = collectSeconds[l] + trainSeconds[l];
            }
            return s;
        }
    }

    private static final float FOLD_EPS = 1e-6f;

    private PredictorRun() {}

    public static Path defaultOut(Path model) {
        return model.resolve("predictors");
    }

    public static Result run(Request q) {
        if (!(q.recall() > 0 && q.recall() < 1)) {
            throw ProsparseException.usage("--recall must be in (0, 1), got " + q.recall() + " (for example --recall 0.99)");
        }
        if (q.rank() < 1 || q.epochs() < 1 || q.batch() < 1 || q.seqLen() < 2 || q.evalWindows() < 1 || !(q.lr() > 0)) {
            throw ProsparseException.usage("--rank, --epochs, --batch-size, --windows must be ≥ 1, --seq-len ≥ 2 and --lr > 0"
                    + " (for example --rank 128 --epochs 20)");
        }
        int windows = (q.samples() + q.seqLen() - 1) / q.seqLen();
        if (windows < 10) {
            throw ProsparseException.usage("--samples " + q.samples() + " gives " + windows + " windows of " + q.seqLen()
                    + " tokens; at least 10 are needed (1 held out for the cut, 1 for the report), for example --samples 32768");
        }
        HfCheckpoint ckpt = HfCheckpoint.open(q.model());
        ModelConfig config = ckpt.config();
        Activation act = config.hiddenAct();
        if (act == Activation.SILU) {
            throw ProsparseException.usage("--model " + q.model() + ": hidden_act is silu, whose activations are never exactly"
                    + " zero, so there is nothing to predict; sparsify it first (prosparse train) and pass the trained checkpoint");
        }
        Path out = q.out() != null ? q.out() : defaultOut(q.model());
        if (Files.exists(out.resolve(PredictorFiles.JSON)) && !q.force()) {
            throw ProsparseException.usage("--out " + out + " already holds predictors; pass --force to replace them");
        }
        PairStore.resolve(q.pairsDtype(), false, "--pairs-dtype");           // a bad value is refused before the engine starts
        Device device = DeviceSetup.select(q.device() == null ? DeviceSpec.AUTO : q.device(), q.threads(), "--device");
        PairStore store = PairStore.resolve(q.pairsDtype(), device.isGpu(), "--pairs-dtype");
        int layersToRun = q.maxLayers() > 0 ? Math.min(q.maxLayers(), config.numHiddenLayers()) : config.numHiddenLayers();
        checkMemory(q, (long) windows * q.seqLen(), config);
        PredictorEstimate estimate = PredictorEstimate.of(config, (long) windows * q.seqLen(), q.seqLen(), layersToRun,
                q.rank(), q.epochs(), q.batch(), device, q.threads(), store);
        LOG.info(estimate.text());
        TokenStream stream, evalStream;
        long tt = System.nanoTime();
        LOG.info("Tokenizing {} (and {} for the perplexities)…", q.data().spec(), q.evalData().spec());
        try (TextTokenizer tok = ckpt.tokenizer()) {
            stream = TokenStream.of(tok, q.data().readDocuments());
            evalStream = q.evalData().spec().equals(q.data().spec()) ? stream : TokenStream.of(tok, q.evalData().readDocuments());
        }
        LOG.info(String.format(java.util.Locale.ROOT, "Tokenized in %.1f s", (System.nanoTime() - tt) / 1e9));
        EvalWindows collectW = EvalWindows.over(stream, windows, q.seqLen(), q.data().spec());
        EvalWindows evalW = EvalWindows.over(evalStream, q.evalWindows(), q.seqLen(), q.evalData().spec());
        int test = Math.max(1, windows / 10), calib = Math.max(1, windows / 10), train = windows - test - calib;
        long[] starts = new long[windows];
        for (int i = 0; i < windows; i++) {
            starts[i] = collectW.start(i);
        }
        long tl = System.nanoTime();
        try (NDManager root = Torch.newBaseManager(); CheckpointFiles files = ckpt.files();
                Weights weights = Weights.load(config, files, root)) {
            LOG.info(String.format(java.util.Locale.ROOT, "Loaded the weights as float32 on %s in %.1f s", device,
                    (System.nanoTime() - tl) / 1e9));
            CausalLM lm = new CausalLM(config, weights, act, config.hiddenActParam());
            int trRows = train * q.seqLen(), caRows = calib * q.seqLen(), teRows = test * q.seqLen();
            double[] collectSeconds = new double[layersToRun], trainSeconds = new double[layersToRun];
            long peak = DeviceSetup.gpuMemoryUsed(device);
            long tStart = System.nanoTime();
            LOG.info("Collecting (x, 1[x1 != 0]) pairs layer by layer: {} windows of {} tokens of {}", windows, q.seqLen(),
                    q.data().spec());
            PairCollector collector = PairCollector.start(lm, stream, starts, q.seqLen(), 8, root);
            List<Predictor> trained = new ArrayList<>();
            List<Float> cuts = new ArrayList<>();
            List<Cuts.Quality> quality = new ArrayList<>();
            List<long[]> mismatches = new ArrayList<>();  // per layer: fold mismatches under τ = −1 and τ = +1
            for (int l = 0; l < layersToRun && collector.hasNext(); l++) {
                long tc = System.nanoTime();
                LayerPairs all = collector.next();
                double collectS = (System.nanoTime() - tc) / 1e9;
                peak = Math.max(peak, DeviceSetup.gpuMemoryUsed(device));
                long t0 = System.nanoTime();   // train: the slices, upload, training, cut, report scores and fold checks
                LayerPairs tr = all.slice(0, trRows), ca = all.slice(trRows, trRows + caRows),
                        te = all.slice(trRows + caRows, trRows + caRows + teRows);
                all = null; // only the slices are kept while training
                Predictor p = PredictorTrainer.train(tr, new PredictorTrainer.Settings(q.rank(), q.epochs(), q.batch(), q.lr(),
                        0.01, q.seed() + l, store), root);
                tr = null;
                float cut = Cuts.choose(p.scores(ca.x(), ca.rows(), root), ca.labels(), q.recall());
                float[] ts = p.scores(te.x(), te.rows(), root);
                Cuts.Quality qual = Cuts.quality(ts, te.labels(), cut);
                // τ depends on every layer's cut; count this layer's fold mismatches under both now, keep the right one later
                long[] mm = new long[2];
                for (int i = 0; i < 2; i++) {
                    float tau = i == 0 ? -1f : 1f;
                    if (tau > 0 && !(cut > 0)) {
                        continue;                             // τ = +1 only when every cut is > 0
                    }
                    Cuts.Fold.Layer f = Cuts.Fold.layer(cut, tau, FOLD_EPS);
                    mm[i] = foldMismatches(ts, f.effectiveCut(), p.scaled(f.scale()).scores(te.x(), teRows, root), tau);
                }
                peak = Math.max(peak, DeviceSetup.gpuMemoryUsed(device));
                double trainS = (System.nanoTime() - t0) / 1e9;
                collectSeconds[l] = collectS;
                trainSeconds[l] = trainS;
                double left = (System.nanoTime() - tStart) / 1e9 / (l + 1) * (layersToRun - l - 1);
                LOG.info(String.format(java.util.Locale.ROOT, "layer %d/%d: collected in %.1f s, trained in %.1f s; cut %.4g:"
                        + " recall %.4f precision %.4f predicted sparsity %.2f%% (true %.2f%%); about %.1f min left for the"
                        + " other layers%s", l + 1, layersToRun, collectS, trainS, cut, qual.recall(), qual.precision(),
                        100 * qual.predictedSparsity(), 100 * qual.trueSparsity(), left / 60, device.isGpu()
                        ? String.format(java.util.Locale.ROOT, "; GPU %.1f GiB in use at most so far", peak / 1073741824.0) : ""));
                trained.add(p);
                cuts.add(cut);
                quality.add(qual);
                mismatches.add(mm);
            }
            if (layersToRun < config.numHiddenLayers()) {
                LOG.info("Timing run (--max-layers {}): {} of {} layers trained, nothing written", q.maxLayers(), layersToRun,
                        config.numHiddenLayers());
                return new Result(q, List.of(), Float.NaN, Double.NaN, Double.NaN, Double.NaN, trRows, caRows, teRows, null,
                        collectSeconds, trainSeconds, peak, PeakRss.bytes().orElse(-1), estimate, store);
            }
            warnLowSparsity(quality, q.recall());
            Cuts.Fold fold = Cuts.Fold.of(cuts, FOLD_EPS);
            List<Predictor> folded = new ArrayList<>();
            for (int l = 0; l < trained.size(); l++) {
                folded.add(trained.get(l).scaled(fold.scales()[l]));
            }
            List<LayerResult> layers = new ArrayList<>();
            for (int l = 0; l < trained.size(); l++) {
                List<Predictor> only = new ArrayList<>(java.util.Collections.nCopies(trained.size(), (Predictor) null));
                only.set(l, folded.get(l));
                double ppl = MaskedForward.evaluate(lm, evalStream, evalW, 8, only, fold.threshold(), root).perplexity();
                layers.add(new LayerResult(l, cuts.get(l), fold.scales()[l], fold.exact()[l], fold.effectiveCuts()[l],
                        quality.get(l), mismatches.get(l)[fold.threshold() > 0 ? 1 : 0], ppl));
            }
            MaskedForward.Result dense = MaskedForward.evaluate(lm, evalStream, evalW, 8, null, 0f, root);
            MaskedForward.Result pred = MaskedForward.evaluate(lm, evalStream, evalW, 8, folded, fold.threshold(), root);
            Result r = new Result(q, layers, fold.threshold(), dense.perplexity(), pred.perplexity(), pred.skippedFraction(),
                    trRows, caRows, teRows, out, collectSeconds, trainSeconds, peak, PeakRss.bytes().orElse(-1), estimate,
                    store);
            PredictorFiles.write(out, folded, toJson(r, config));
            return r;
        }
    }

    /**
     * Refuses --samples whose pairs cannot fit in this JVM's heap (one layer at a time: {@link
     * LayerPairs#bytesWhileTraining}), or whose x rows pass a Java array's 2^31 elements, naming the flag and the fix.
     */
    static void checkMemory(Request q, long rows, ModelConfig c) {
        long need = LayerPairs.bytesWhileTraining(rows, c.hiddenSize(), c.intermediateSize());
        long have = Runtime.getRuntime().maxMemory();
        long maxRows = Math.min(Integer.MAX_VALUE / c.hiddenSize(),
                (long) (0.7 * have) / Math.max(1, need / Math.max(1, rows)));
        if (rows * c.hiddenSize() >= Integer.MAX_VALUE) {
            throw ProsparseException.usage("--samples " + q.samples() + ": " + rows + " positions x hidden_size "
                    + c.hiddenSize() + " pass 2^31 floats, the most one layer's pairs can hold; pass --samples "
                    + maxRows / q.seqLen() * q.seqLen() + " or less");
        }
        if (need > 0.7 * have) {
            throw ProsparseException.usage(String.format(java.util.Locale.ROOT, "--samples %d: the pairs of one layer need"
                    + " about %.1f GiB (x as float32, labels as bits) but the JVM may use %.1f GiB; pass --samples %d or"
                    + " less, or give the JVM more memory (PROSPARSE_JAVA_OPTS=-Xmx%dg)", q.samples(), need / 1073741824.0,
                    have / 1073741824.0, maxRows / q.seqLen() * q.seqLen(), (long) Math.ceil(need / 0.7 / 1073741824.0) + 1));
        }
    }

    /**
     * Warns when a layer's predictor skips under 10 % of the neurons while 40 % or more of them are zero: the predictor
     * barely separates active from zero neurons, so the cut for the recall target keeps nearly all of them.
     */
    static List<String> warnLowSparsity(List<Cuts.Quality> quality, double recall) {
        List<String> w = new ArrayList<>();
        for (int l = 0; l < quality.size(); l++) {
            Cuts.Quality qu = quality.get(l);
            if (qu.predictedSparsity() < 0.10 && qu.trueSparsity() >= 0.40) {
                w.add(String.format(java.util.Locale.ROOT, "layer %d: the predictor skips only %.1f%% of the neurons while"
                        + " %.1f%% are zero: it barely tells active from zero neurons, so the cut for recall %.3f keeps"
                        + " nearly all. Likely causes: too few positions or epochs for this model (raise --samples or"
                        + " --epochs), or a --recall too close to 1 (try 0.95)", l, 100 * qu.predictedSparsity(),
                        100 * qu.trueSparsity(), recall));
            }
        }
        w.forEach(LOG::warn);
        return w;
    }

    /** Rows × neurons where "folded score ≥ τ" and "score ≥ effective cut" disagree (0 for an exact fold). */
    static long foldMismatches(float[] scores, float cut, float[] foldedScores, float tau) {
        long m = 0;
        for (int k = 0; k < scores.length; k++) {
            if ((scores[k] >= cut) != (foldedScores[k] >= tau)) {
                m++;
            }
        }
        return m;
    }

    static ObjectNode toJson(Result r, ModelConfig c) {
        Request q = r.request();
        ObjectNode j = Json.MAPPER.createObjectNode();
        j.put("format_version", PredictorFiles.FORMAT_VERSION);
        j.put("tool", "prosparse");
        j.put("source_checkpoint", q.model().toAbsolutePath().normalize().getFileName().toString());
        j.set("model", ModelIdentity.of(q.model(), c).toJson());
        j.put("hidden_act", c.hiddenAct().hfName());
        j.put("num_hidden_layers", c.numHiddenLayers());
        j.put("hidden_size", c.hiddenSize());
        j.put("intermediate_size", c.intermediateSize());
        j.put("rank", q.rank());
        j.put("rule", "neuron j of layer l is computed iff (fc2 . relu(fc1 . x))_j >= threshold, x = the residual stream"
                + " before post_attention_layernorm");
        j.put("threshold", r.threshold());
        j.put("recall_target", q.recall());
        j.put("data", q.data().spec());
        j.put("train_rows", r.trainRows());
        j.put("calibration_rows", r.calibRows());
        j.put("test_rows", r.testRows());
        j.put("epochs", q.epochs());
        j.put("lr", q.lr());
        j.put("seed", q.seed());
        j.put("eval_data", q.evalData().spec());
        j.put("eval_windows", q.evalWindows());
        j.put("seq_len", q.seqLen());
        j.put("perplexity_dense", r.densePerplexity());
        j.put("perplexity_predicted", r.predictedPerplexity());
        j.put("skipped_fraction_eval", r.skippedFraction());
        ArrayNode layers = j.putArray("layers");
        for (LayerResult l : r.layers()) {
            ObjectNode o = layers.addObject();
            o.put("layer", l.layer());
            o.put("cut", l.cut());
            o.put("scale", l.scale());
            o.put("exact_fold", l.exactFold());
            o.put("effective_cut", l.effectiveCut());
            o.put("recall", l.quality().recall());
            o.put("precision", l.quality().precision());
            o.put("predicted_sparsity", l.quality().predictedSparsity());
            o.put("true_sparsity", l.quality().trueSparsity());
            o.put("fold_mismatches", l.foldMismatches());
            o.put("perplexity_this_layer_only", l.perplexity());
        }
        return j;
    }
}
