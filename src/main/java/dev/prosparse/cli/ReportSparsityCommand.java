package dev.prosparse.cli;

import dev.prosparse.ProsparseException;
import dev.prosparse.device.DeviceSetup;
import dev.prosparse.device.DeviceSpec;
import dev.prosparse.config.Activation;
import dev.prosparse.report.SparsityOutput;
import dev.prosparse.sparsity.SparsityReport;
import dev.prosparse.sparsity.SparsityRun;
import dev.prosparse.util.OutputFolder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code prosparse report sparsity}: loss, perplexity and per-layer zero fraction of x1. */
@Command(name = "sparsity",
        mixinStandardHelpOptions = true,
        sortOptions = false,
        description = {"Evaluate a checkpoint on fixed windows of text and print loss, perplexity and the",
            "fraction of FFN activations (x1, the input of down_proj) that are exactly zero, per layer and overall.",
            "Compare several checkpoints side by side (--compare), sweep the FATReLU threshold (--thresholds),",
            "and write every format and the charts at once (--out). Models too large for memory in float32 are",
            "evaluated one decoder layer at a time (automatic; --stream-layers forces it)."},
        footerHeading = "%nExamples:%n",
        footer = {"  prosparse report sparsity --model checkpoints/tiny-llama --act relu",
            "  prosparse report sparsity --model checkpoints/runs/my-run/final --format md --out reports/",
            "  prosparse report sparsity --model checkpoints/tiny-llama --act relu --compare checkpoints/runs/my-run/final",
            "  prosparse report sparsity --model checkpoints/tiny-llama --act fatrelu --thresholds 0,0.005,0.01,0.02,0.03",
            "  prosparse report sparsity --model runs/my-run/final --compare checkpoints/tiny-llama --ppl-budget 1%%",
            "",
            "Formats: text (terminal table), json, csv, md (Markdown), png and svg (per-layer charts; need --out).",
            "Fields: docs/report-formats.md."})
public final class ReportSparsityCommand implements Callable<Integer> {
    private static final Logger LOG = LoggerFactory.getLogger(ReportSparsityCommand.class);

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "HuggingFace checkpoint folder (config.json, *.safetensors, tokenizer.json).")
    Path model;

    @Option(names = "--compare", paramLabel = "DIR",
            description = "Another checkpoint to evaluate on the same windows, shown side by side (repeatable).")
    List<Path> compare = new ArrayList<>();

    @Mixin
    ActivationOptions activation = new ActivationOptions();

    @Option(names = "--thresholds", paramLabel = "T", split = ",",
            description = "Sweep: one full evaluation per threshold of fatrelu/shiftrelu, one row each (sparsity and perplexity).")
    List<Double> thresholds;

    @Option(names = "--ppl-budget", paramLabel = "P%",
            description = "Also report training-free sparsity: per-layer thresholds on |x1| (PPL-p%%) and on |σ(gate)| (CATS) chosen so perplexity rises by at most P percent, for every checkpoint, in one table; with --compare, a trained checkpoint sits next to its source (from its prosparse.json), perplexity measured against the source (docs/training-free.md).")
    String pplBudget;

    @Mixin
    EvalOptions eval;

    @Option(names = "--format", paramLabel = "FMT",
            description = "text, json, csv, md, png or svg; a comma list with --out. Default: text on stdout, or every format with --out.")
    String format;

    @Option(names = "--out", paramLabel = "DIR",
            description = "Write the report files into DIR (sparsity.{txt,json,csv,md}, sparsity-layers.{png,svg}, sparsity-sweep.{png,svg}); the table still goes to stdout.")
    Path out;

    @Option(names = "--force", description = "Replace report files already in --out.")
    boolean force;

    @Option(names = "--stream-layers", negatable = true, paramLabel = "",
            description = "Load one decoder layer at a time (for models larger than memory). Default: automatic, on when the float32 weights exceed 40%% of RAM.")
    Boolean streamLayers;

    @Mixin
    ThreadsOption threadsOption = new ThreadsOption();

    @Mixin
    DeviceOption deviceOption = new DeviceOption();

    @Override
    public Integer call() {
        DeviceSpec spec = DeviceSpec.parse(deviceOption.orElse("auto"), "--device");
        int threads = threadsOption.value();
        Set<SparsityOutput.Format> formats = format == null ? null : SparsityOutput.Format.parseList(format);
        if (out == null && formats != null) {
            if (formats.size() > 1) {
                throw ProsparseException.usage("--format " + format + ": several formats need --out DIR"
                        + " (for example --format " + format + " --out reports/)");
            }
            SparsityOutput.Format f = formats.iterator().next();
            if (!f.printable()) {
                throw ProsparseException.usage("--format " + f.flag + " writes a chart file; add --out DIR (for example --format "
                        + f.flag + " --out reports/)");
            }
        }
        if (out != null) {
            OutputFolder.checkWritable(out, "--out"); // before an evaluation that can take hours
            OutputFolder.refuseExisting(out, reportFiles(), force, "--out");
        }
        SparsityRun.Request req = new SparsityRun.Request(model, activation.check(thresholds != null), activation.threshold,
                eval.source(), eval.seqLen, eval.windows, eval.batchSize, threads, compare,
                thresholds, streamLayers);
        Double budget = pplBudget == null ? null : dev.prosparse.sparsity.TrainingFreeRun.parseBudget(pplBudget);
        if (budget != null && thresholds != null) {
            throw ProsparseException.usage("--ppl-budget and --thresholds exclude each other: the budget search chooses its"
                    + " own thresholds");
        }
        DeviceSetup.select(spec, threads, "--device");
        List<SparsityReport> reports = SparsityRun.runAll(req);
        dev.prosparse.sparsity.TrainingFreeRun.Table freeTable = budget == null ? null
                : dev.prosparse.sparsity.TrainingFreeRun.run(req, reports, budget);
        SparsityOutput output = new SparsityOutput(reports, thresholds != null);
        SparsityOutput.Format onStdout = formats != null && formats.size() == 1 && formats.iterator().next().printable()
                ? formats.iterator().next() : SparsityOutput.Format.TEXT;
        // plain text on the terminal, Markdown only where Markdown was asked for (and in its .md file)
        String trainingFree = freeTable == null ? "" : onStdout == SparsityOutput.Format.MD
                ? dev.prosparse.report.TrainingFreeOutput.markdown(freeTable)
                : dev.prosparse.report.TrainingFreeOutput.text(freeTable);
        if (out != null) {
            Set<SparsityOutput.Format> write = formats == null ? EnumSet.allOf(SparsityOutput.Format.class) : formats;
            for (Path p : output.writeAll(out, write)) {
                LOG.info("wrote {}", p);
            }
            System.out.print(output.render(onStdout));
            if (freeTable != null) {
                dev.prosparse.util.AtomicFiles.writeString(out.resolve(dev.prosparse.report.TrainingFreeOutput.FILE),
                        dev.prosparse.report.TrainingFreeOutput.markdown(freeTable));
            }
        } else {
            System.out.print(output.render(onStdout));
        }
        System.out.print(trainingFree);
        System.out.flush();
        return 0;
    }

    /** Every file {@code --out} may receive (docs/report-formats.md). */
    private static java.util.List<String> reportFiles() {
        java.util.List<String> names = new java.util.ArrayList<>(java.util.List.of(SparsityOutput.TEXT_FILE,
                SparsityOutput.JSON_FILE, SparsityOutput.CSV_FILE, SparsityOutput.MD_FILE,
                dev.prosparse.report.TrainingFreeOutput.FILE));
        for (String chart : java.util.List.of(SparsityOutput.LAYERS_CHART, SparsityOutput.SWEEP_CHART)) {
            names.add(chart + ".png");
            names.add(chart + ".svg");
        }
        return names;
    }
}
