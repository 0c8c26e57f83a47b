package dev.prosparse.cli;

import picocli.CommandLine.Command;

/** {@code prosparse export}: checkpoints in other engines' formats. */
@Command(name = "export",
        mixinStandardHelpOptions = true,
        description = "Write a checkpoint in another engine's format (GGUF for llama.cpp and PowerInfer).",
        subcommands = {ExportGgufCommand.class},
        footerHeading = "%nExamples:%n",
        footer = {"  prosparse export gguf --model checkpoints/tiny-llama --out tiny.gguf",
            "  prosparse export gguf --model run/final --predictors run/final/predictors --out tiny.powerinfer.gguf"})
public final class ExportCommand {
}
