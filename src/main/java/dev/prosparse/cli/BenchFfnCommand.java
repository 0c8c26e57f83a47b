package dev.prosparse.cli;

import dev.prosparse.ProsparseException;
import dev.prosparse.bench.FfnBench;
import dev.prosparse.bench.FfnBenchOutput;
import dev.prosparse.bench.FfnShape;
import dev.prosparse.config.ModelConfig;
import dev.prosparse.data.DataSource;
import dev.prosparse.device.DeviceSetup;
import dev.prosparse.device.DeviceSpec;
import dev.prosparse.sparsity.SparsityReport;
import dev.prosparse.sparsity.SparsityRun;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code prosparse bench ffn}: dense vs exact-sparse vs predictor-driven FFN, decode and prefill, on the CPU or a GPU. */
@Command(name = "ffn",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Time one FFN block (random float32 weights) dense and sparse: exact (gate dense, up and down",
            "only for the active neurons) and predictor-driven (predictor, then gate, up and down only for the",
            "predicted neurons; the predictor's cost included), at batch 1 (decode) and for a batch of tokens (prefill).",
            "Prints the machine, the thread count, median and spread, and the speed-up over the dense FFN of the same run.",
            "How the variants work and how masks are drawn: docs/sparse-ffn.md."},
        footerHeading = "%nExamples:%n",
        footer = {"  prosparse bench ffn --shape 4096x11008 --sparsity 0.9 --threads 2",
            "  prosparse bench ffn --shape 4096x11008 --sparsity-from checkpoints/runs/my-run/final --threads 2",
            "  prosparse bench ffn --model checkpoints/runs/my-run/final --reps 50",
            "  prosparse bench ffn --shape 4096x11008 --sparsity 0.9 --device cuda"})
public final class BenchFfnCommand implements Callable<Integer> {

    @Option(names = "--shape", paramLabel = "ExI", description = "FFN size hidden x intermediate, e.g. 4096x11008 (LLaMA-2-7B). Default: the --model's, else 4096x11008.")
    String shape;

    @Option(names = "--model", paramLabel = "DIR", description = "Take the shape from this checkpoint's config.json, and the per-layer sparsity measured on it (unless --sparsity is given).")
    Path model;

    @Option(names = "--sparsity", paramLabel = "S", description = "Fraction of inactive neurons, in [0, 1). Default: 0.9.")
    Double sparsity;

    @Option(names = "--sparsity-from", paramLabel = "DIR", description = "Per-layer sparsity measured on this trained checkpoint (report sparsity on --windows windows of embedded:valid); one row per layer.")
    Path sparsityFrom;

    @Option(names = "--windows", paramLabel = "N", defaultValue = "16", description = "Evaluation windows for --sparsity-from. Default: ${DEFAULT-VALUE}.")
    int windows;

    @Option(names = "--rank", paramLabel = "R", defaultValue = "1024", description = "Predictor rank (fc1 [R, hidden], fc2 [intermediate, R]); a multiple of 16. Default: ${DEFAULT-VALUE}.")
    int rank;

    @Option(names = "--prefill", paramLabel = "T", defaultValue = "128", description = "Tokens in the prefill batch (0: decode only). Default: ${DEFAULT-VALUE}.")
    int prefill;

    @Option(names = "--reps", paramLabel = "N", defaultValue = "20", description = "Timed runs per variant (the median is reported). Default: ${DEFAULT-VALUE}.")
    int reps;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "3", description = "Untimed runs first. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @picocli.CommandLine.Mixin
    ThreadsOption threadsOption = new ThreadsOption();

    @Option(names = "--device", paramLabel = "DEV", defaultValue = "cpu", description = "cpu, or cuda / cuda:N: on a GPU only the libtorch variants run (dense, gather-based exact and predictor-driven; the row kernels are CPU code). Default: ${DEFAULT-VALUE}.")
    String device;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "1234", description = "Seed for weights and masks. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Override
    public Integer call() {
        int threads = threadsOption.orAllCores();
        if (reps < 1 || warmup < 0) {
            throw ProsparseException.usage("--reps must be ≥ 1 and --warmup ≥ 0 (for example --reps 20 --warmup 3)");
        }
        if (rank < 16 || rank % 16 != 0) {
            throw ProsparseException.usage("--rank must be a positive multiple of 16, got " + rank + " (for example --rank 1024)");
        }
        if (prefill < 0) {
            throw ProsparseException.usage("--prefill must be ≥ 0, got " + prefill + " (for example --prefill 128)");
        }
        if (sparsity != null && !(sparsity >= 0 && sparsity < 1)) {
            throw ProsparseException.usage("--sparsity must be in [0, 1), got " + sparsity + " (for example --sparsity 0.9)");
        }
        if (sparsity != null && sparsityFrom != null) {
            throw ProsparseException.usage("--sparsity and --sparsity-from exclude each other; give one");
        }
        DeviceSpec deviceSpec = DeviceSpec.parse(device, "--device");
        FfnShape s;
        if (shape != null) {
            s = FfnShape.parse(shape);
        } else if (model != null) {
            ModelConfig c = ModelConfig.read(model);
            s = FfnShape.parse(c.hiddenSize() + "x" + c.intermediateSize());
        } else {
            s = new FfnShape(4096, 11008);
        }
        DeviceSetup.select(deviceSpec, threads, "--device");
        Path from = sparsityFrom != null ? sparsityFrom : sparsity == null ? model : null;
        double[] rates;
        String source;
        if (from != null) {
            SparsityReport rep = SparsityRun.runAll(new SparsityRun.Request(from, null, null,
                    new DataSource(DataSource.EMBEDDED_VALID, "text"), 256, windows, 8, threads, null, null, null)).get(0);
            rates = new double[rep.result().layers()];
            StringBuilder sb = new StringBuilder("per layer, measured on " + from + " (" + windows + " windows of embedded:valid):");
            for (int l = 0; l < rates.length; l++) {
                rates[l] = Math.min(rep.result().zeroFraction(l), 0.999);
                sb.append(String.format(Locale.ROOT, " %.1f%%", 100 * rates[l]));
            }
            source = sb.toString();
        } else {
            double v = sparsity == null ? 0.9 : sparsity;
            rates = new double[] {v};
            source = String.format(Locale.ROOT, "%.1f%% of neurons inactive (--sparsity %s)", 100 * v, v);
        }
        FfnBench.Report rep = FfnBench.run(new FfnBench.Request(s, rates, source, rank, prefill, reps, warmup, threads, seed));
        System.out.print(FfnBenchOutput.text(rep));
        System.out.flush();
        return 0;
    }
}
