package dev.prosparse.cli;

import picocli.CommandLine.Command;

/** {@code prosparse predictors}: activation predictors for a sparsified checkpoint. */
@Command(name = "predictors",
        mixinStandardHelpOptions = true,
        description = "Activation predictors (which FFN neurons will be non-zero) for a ReLU-family checkpoint.",
        subcommands = {PredictorsTrainCommand.class},
        footerHeading = "%nExamples:%n",
        footer = {"  prosparse predictors train --model checkpoints/runs/my-run/final",
            "  prosparse predictors train --model checkpoints/runs/my-run/final --rank 64 --recall 0.95"})
public final class PredictorsCommand {
}
