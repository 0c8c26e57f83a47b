package dev.prosparse.sparsity;

import ai.djl.ndarray.NDManager;
import dev.prosparse.ProsparseException;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.data.DataSource;
import dev.prosparse.data.EvalWindows;
import dev.prosparse.data.TextTokenizer;
import dev.prosparse.data.TokenStream;
import dev.prosparse.io.CheckpointFiles;
import dev.prosparse.io.HfCheckpoint;
import dev.prosparse.config.Activation;
import dev.prosparse.model.CausalLM;
import dev.prosparse.model.Weights;
import dev.prosparse.util.ByteSize;
import dev.prosparse.util.Durations;
import dev.prosparse.util.Hashing;
import dev.prosparse.util.PeakRss;
import dev.prosparse.util.Progress;
import dev.prosparse.util.Torch;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code report sparsity} end to end: load each checkpoint, tokenize the data, evaluate the windows — for
 * one model, several side by side ({@code --compare}), and/or several thresholds ({@code --thresholds}).
 * Models too large for memory in float32 are evaluated layer by layer ({@link LayerStreamedEvaluator}).
 */
public final class SparsityRun {
    private static final Logger LOG = LoggerFactory.getLogger(SparsityRun.class);
    /** Stream layers when the float32 weights would take more than this share of physical memory. */
    static final double STREAM_SHARE = 0.4;

    private SparsityRun() {}

    /**
     * @param model        the checkpoint to evaluate
     * @param act          activation to evaluate with; null keeps each checkpoint's own
     * @param threshold    its parameter (fatrelu / shiftrelu)
     * @param compare      further checkpoints evaluated the same way, side by side (may be empty)
     * @param thresholds   a sweep: one evaluation per value of the activation's parameter (null: no sweep)
     * @param streamLayers true / false forces layer streaming on / off; null chooses by model size
     */
    public record Request(Path model, Activation act, Double threshold, DataSource data, int seqLen, int windows,
            int batchSize, int threads, List<Path> compare, List<Double> thresholds, Boolean streamLayers) {

        public Request {
            compare = compare == null ? List.of() : List.copyOf(compare);
            thresholds = thresholds == null ? null : List.copyOf(thresholds);
        }

        /** All checkpoints: {@code model} first, then {@code compare} in order. */
        public List<Path> models() {
            List<Path> all = new ArrayList<>();
            all.add(model);
            all.addAll(compare);
            return all;
        }
    }

    /** Every model × every threshold, in that order (model-major). */
    public static List<SparsityReport> runAll(Request req) {
        if (req.batchSize() <= 0) {
            throw ProsparseException.usage("--batch-size must be ≥ 1, got " + req.batchSize() + " (for example --batch-size 8)");
        }
        List<HfCheckpoint> ckpts = new ArrayList<>();
        for (Path p : req.models()) {
            ckpts.add(HfCheckpoint.open(p));
        }
        List<Double> sweep = checkSweep(req, ckpts);
        String dataHash = req.data().sha256();
        List<String> docs = req.data().readDocuments();
        Map<String, TokenStream> streams = new HashMap<>();   // by tokenizer: models sharing one share the windows

        Torch.start(req.threads());
        List<SparsityReport> out = new ArrayList<>();
        String firstTokenizer = null;
        for (HfCheckpoint ckpt : ckpts) {
            ModelConfig config = ckpt.config();
            String tokKey = tokenizerKey(ckpt);
            TokenStream stream = streams.computeIfAbsent(tokKey, k -> {
                try (TextTokenizer tok = ckpt.tokenizer()) {
                    return TokenStream.of(tok, docs);
                }
            });
            if (firstTokenizer == null) {
                firstTokenizer = tokKey;
            } else if (!firstTokenizer.equals(tokKey)) {
                LOG.warn("{} has a different tokenizer from {}: its windows hold other tokens, so its perplexity is"
                        + " not comparable", ckpt.dir(), req.model());
            }
            EvalWindows windows = EvalWindows.over(stream, req.windows(), req.seqLen(), req.data().spec());
            Activation act = req.act() != null ? req.act() : config.hiddenAct();
            List<Double> params = new ArrayList<>();
            if (sweep != null) {
                params.addAll(sweep);
            } else {
                params.add(req.act() != null ? act.checkParam(req.threshold(), "--act " + act.hfName())
                        : config.hiddenActParam());
            }
            boolean streamed = chooseStreaming(req.streamLayers(), config);
            for (double param : params) {
                long t0 = System.nanoTime();
                SparsityResult result = evaluate(ckpt, act, param, stream, windows, req.batchSize(), streamed);
                double secs = Durations.secondsSince(t0);
                OptionalLong peak = PeakRss.bytes();
                LOG.info(String.format(Locale.ROOT, "Evaluated %,d tokens in %.1f s (%.2f s per 1,000 tokens%s)",
                        windows.tokens(), secs, secs * 1000 / windows.tokens(),
                        peak.isPresent() ? ", peak RSS " + ByteSize.format(peak.getAsLong()) : ""));
                out.add(new SparsityReport(ckpt.dir().toString(), config, act, param, req.data().spec(), dataHash,
                        stream.length(), windows, result, streamed ? SparsityReport.MODE_STREAMED : SparsityReport.MODE_WHOLE,
                        secs));
            }
        }
        return out;
    }

    /** The thresholds of a sweep, checked against the activation (null when there is no sweep). */
    private static List<Double> checkSweep(Request req, List<HfCheckpoint> ckpts) {
        if (req.thresholds() == null) {
            return null;
        }
        if (req.threshold() != null) {
            throw ProsparseException.usage("--threshold and --thresholds exclude each other; for a sweep give only"
                    + " --thresholds, for example --act fatrelu --thresholds 0,0.01,0.02");
        }
        if (req.thresholds().isEmpty()) {
            throw ProsparseException.usage("--thresholds needs at least one value, for example --thresholds 0,0.005,0.01");
        }
        for (HfCheckpoint c : ckpts) {
            Activation a = req.act() != null ? req.act() : c.config().hiddenAct();
            if (!a.takesParam()) {
                throw ProsparseException.usage("--thresholds sweeps the parameter of fatrelu or shiftrelu, but "
                        + (req.act() != null ? "--act is " : c.dir() + " uses ") + a.hfName()
                        + "; add --act fatrelu (for example --act fatrelu --thresholds 0,0.01,0.02)");
            }
            for (double t : req.thresholds()) {
                a.checkParam(t, "--thresholds");
            }
        }
        return req.thresholds();
    }

    private static SparsityResult evaluate(HfCheckpoint ckpt, Activation act, double param, TokenStream stream,
            EvalWindows windows, int batchSize, boolean streamLayers) {
        ModelConfig config = ckpt.config();
        String what = act.hfName() + (act.takesParam() ? " " + param : "");
        try (NDManager base = Torch.newBaseManager();
                CheckpointFiles files = ckpt.files()) {
            if (streamLayers) {
                LOG.info("Evaluating {} layer by layer ({} layers, {}) on {} windows × {} tokens", ckpt.dir(),
                        config.numHiddenLayers(), what, windows.count(), windows.seqLen());
                int steps = config.numHiddenLayers() + 2;
                try (Progress bar = Progress.start("evaluate", steps, "layers")) {
                    return LayerStreamedEvaluator.evaluate(config, files, act, param, base, stream, windows, batchSize,
                            done -> {
                                bar.update(done);
                                if (!bar.isTerminal() && (done == steps || done % 8 == 0)) {
                                    LOG.info("  {}/{} layer steps", done, steps);
                                }
                            });
                }
            }
            try (Weights weights = Weights.load(config, files, base)) {
                CausalLM model = new CausalLM(config, weights, act, param);
                LOG.info("Evaluating {} ({} layers, {}) on {} windows × {} tokens", ckpt.dir(), config.numHiddenLayers(),
                        what, windows.count(), windows.seqLen());
                try (Progress bar = Progress.start("evaluate", windows.count(), "windows")) {
                    return SparsityEvaluator.evaluate(model, base, stream, windows, batchSize, bar::update);
                }
            }
        }
    }

    /** Whether to stream: forced by the flag, else when the float32 weights exceed 40% of physical memory. */
    static boolean chooseStreaming(Boolean flag, ModelConfig config) {
        return chooseStreaming(flag, config, flag != null ? -1 : physicalMemoryBytes());
    }

    /** {@link #chooseStreaming(Boolean, ModelConfig)} on a machine with {@code physical} bytes of RAM (≤ 0: unknown). */
    static boolean chooseStreaming(Boolean flag, ModelConfig config, long physical) {
        if (flag != null) {
            return flag;
        }
        long bytes = float32Bytes(config);
        boolean stream = physical > 0 && bytes > STREAM_SHARE * physical;
        if (stream) {
            LOG.info(String.format(Locale.ROOT, "The model takes %.1f GB in float32, more than %.0f%% of this machine's"
                    + " %.1f GB: evaluating layer by layer (--no-stream-layers to load it whole)", bytes / 1e9,
                    100 * STREAM_SHARE, physical / 1e9));
        }
        return stream;
    }

    /** Parameters × 4 bytes. */
    public static long float32Bytes(ModelConfig config) {
        return Weights.expectedShapes(config).values().stream()
                .mapToLong(s -> Arrays.stream(s).reduce(1, Math::multiplyExact)).sum() * Float.BYTES;
    }

    static long physicalMemoryBytes() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return -1;
    }

    /** Identifies a tokenizer: the tokenizer.json bytes and the end-of-document id. */
    private static String tokenizerKey(HfCheckpoint ckpt) {
        Path tj = ckpt.dir().resolve("tokenizer.json");
        String h = Files.isRegularFile(tj) ? Hashing.sha256(tj) : ckpt.dir().toString();
        return h + "/" + ckpt.eosTokenId();
    }
}
