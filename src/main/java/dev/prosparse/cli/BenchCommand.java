package dev.prosparse.cli;

import picocli.CommandLine.Command;

/** {@code prosparse bench}: speed measurements (each prints the machine and the baseline measured in the same run). */
@Command(name = "bench",
        mixinStandardHelpOptions = true,
        description = "Measure speed: a sparse FFN block against the dense one on this machine.",
        subcommands = {BenchFfnCommand.class},
        footerHeading = "%nExamples:%n",
        footer = {"  prosparse bench ffn --shape 4096x11008 --sparsity 0.9 --threads 2",
            "  prosparse bench ffn --shape 4096x11008 --sparsity-from checkpoints/runs/my-run/final"})
public final class BenchCommand {
}
