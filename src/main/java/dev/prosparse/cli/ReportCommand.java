package dev.prosparse.cli;

import dev.prosparse.report.RunReports;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code prosparse report …}: read-only measurements of checkpoints and runs. */
@Command(name = "report",
        mixinStandardHelpOptions = true,
        description = "Measure checkpoints (activation sparsity and perplexity) and chart training runs.",
        subcommands = {ReportSparsityCommand.class, ReportCommand.Training.class},
        footerHeading = "%nExamples:%n",
        footer = {"  prosparse report sparsity --model checkpoints/tiny-llama --act relu",
            "  prosparse report sparsity --model checkpoints/runs/my-run/final --compare checkpoints/tiny-llama \\",
            "      --out reports/",
            "  prosparse report training --run checkpoints/runs/my-run"})
public final class ReportCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new picocli.CommandLine.ParameterException(spec.commandLine(),
                "Missing subcommand: use 'report sparsity' or 'report training'");
    }

    /** {@code prosparse report training}: charts and a Markdown summary of a run folder's metrics.jsonl. */
    @Command(name = "training",
            mixinStandardHelpOptions = true,
            sortOptions = false,
            description = {"Chart a training run from its metrics.jsonl: loss, perplexity, λ and sparsity against the",
                "step with the stage boundaries marked (PNG and SVG), and a Markdown summary of each stage's end.",
                "The trainer writes the same report into <run>/reports/ at the end of every stage; this command",
                "rebuilds it, for example while a run is going or after copying metrics.jsonl elsewhere."},
            footerHeading = "%nExamples:%n",
            footer = {"  prosparse report training --run checkpoints/runs/my-run",
                "  prosparse report training --run checkpoints/runs/my-run --out reports/my-run"})
    public static final class Training implements Callable<Integer> {
        private static final Logger LOG = LoggerFactory.getLogger(Training.class);

        @Option(names = "--run", required = true, paramLabel = "DIR",
                description = "Training run folder (holds metrics.jsonl and recipe.yaml).")
        Path run;

        @Option(names = "--out", paramLabel = "DIR",
                description = "Where to write the report. Default: <run>/reports (the run's own reports, refreshed).")
        Path out;

        @Option(names = "--force", description = "Replace a report already in --out.")
        boolean force;

        @Override
        public Integer call() throws Exception {
            Path dir = out != null ? out : run.resolve(RunReports.DIR);
            if (out != null) {
                dev.prosparse.util.OutputFolder.refuseExisting(out, List.of(RunReports.SUMMARY), force, "--out");
            }
            List<Path> files = RunReports.writeTo(run, dir);
            for (Path p : files) {
                LOG.info("wrote {}", p);
            }
            System.out.print(Files.readString(dir.resolve(RunReports.SUMMARY)));
            System.out.flush();
            return 0;
        }
    }
}
